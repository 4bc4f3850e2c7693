"""Sign-in through a real OpenID Connect provider (oidc-provider-mock, started here on a free local port), as the
README's "Serving a team" sets it up: an allowed address reaches the Review with its role, another is refused."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.app_server import AppDidNotStart, streamlit_app
from tests.browser.harness import run_in_chromium, settle

pytestmark = pytest.mark.browser

ACCESS = """
allowed_domains: [example.com]
roles:
  - {match: "ada@example.com", role: admin}
default_role: viewer
"""


@contextmanager
def signed_in_app(folder: Path) -> Iterator[tuple[str, str]]:
    """The app with sign-in configured against a fresh identity provider: (app URL, issuer URL)."""
    os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")  # plain http on loopback, for the provider's side
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as idp:
        issuer = f"http://127.0.0.1:{idp.server_port}"
        secrets = folder / "secrets.toml"
        secrets.write_text(
            "[auth]\n"
            'redirect_uri = "http://127.0.0.1:{port}/oauth2callback"\n'
            f'cookie_secret = "{os.urandom(24).hex()}"\n'
            'client_id = "sla-board"\nclient_secret = "test-secret"\n'
            f'server_metadata_url = "{issuer}/.well-known/openid-configuration"\n'
        )
        access = folder / "access.yaml"
        access.write_text(ACCESS)
        env = {"STREAMLIT_SECRETS_FILES": str(secrets), "SLA_BOARD_ACCESS": str(access)}
        try:
            with streamlit_app(folder / "none.duckdb", folder / "server.log", start_timeout=60, env=env) as url:
                yield url, issuer
        except AppDidNotStart as err:
            pytest.fail(str(err))


def sign_in(page, url: str, issuer: str, subject: str) -> None:  # noqa: ANN001
    """Open the app, press Sign in, and answer the provider's form as `subject` (its e-mail claim)."""
    page.goto(url)
    page.get_by_role("button", name=re.compile("Sign in")).wait_for(timeout=60_000)
    page.get_by_role("button", name=re.compile("Sign in")).click()
    page.wait_for_url(f"{issuer}/oauth2/authorize*", timeout=30_000)
    page.locator("input[name=sub]").fill(subject)  # the provider signs `subject` in with email = subject
    page.get_by_role("button", name="Authorize", exact=True).click()


def test_an_allowed_address_signs_in_and_reaches_the_review(tmp_path: Path, screenshots: Path) -> None:
    def scenario(browser) -> None:  # noqa: ANN001
        with signed_in_app(tmp_path) as (url, issuer):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            page.get_by_role("button", name=re.compile("Sign in")).wait_for(timeout=60_000)
            settle(page)
            assert page.get_by_role("heading", name="Monthly SLA review").count() == 0  # nothing before sign-in
            page.screenshot(path=str(screenshots / "sign_in.png"))
            sign_in(page, url, issuer, "ada@example.com")
            page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=90_000)
            settle(page)
            assert page.get_by_text("ada@example.com").count() >= 1 and page.get_by_text("(admin)").count() >= 1
            page.screenshot(path=str(screenshots / "signed_in_review.png"))

    run_in_chromium(scenario)


def test_an_address_not_allowed_is_refused(tmp_path: Path, screenshots: Path) -> None:
    def scenario(browser) -> None:  # noqa: ANN001
        with signed_in_app(tmp_path) as (url, issuer):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            sign_in(page, url, issuer, "mallory@evil.test")
            page.get_by_text("mallory@evil.test is not allowed").wait_for(timeout=60_000)
            settle(page)
            assert page.get_by_role("heading", name="Monthly SLA review").count() == 0
            page.screenshot(path=str(screenshots / "sign_in_refused.png"))

    run_in_chromium(scenario)
