"""The agreement in Chromium: it opens without the network, prints on one A4 page, and a hostile policy's text
shows as typed. Screenshots: tests/screenshots/agreement.png (the page), agreement_hostile.png."""

from __future__ import annotations

import re
from pathlib import Path

from sla_core.policy import policy_from_dict, policy_to_dict
from sla_core.present.agreement import agreement_html
from tests.agreement.conftest import Run
from tests.browser.harness import SCREENSHOTS, run_in_chromium
from tests.conftest import SAMPLE_POLICY, make_policy


def test_the_agreement_prints_on_one_a4_page(cli: Run, tmp_path: Path) -> None:
    out = tmp_path / "sla.html"
    assert cli("template", "--policy", SAMPLE_POLICY, "--out", out)[0] == 0
    seen: dict[str, object] = {}
    refused: list[str] = []

    def scenario(browser) -> None:  # noqa: ANN001 - playwright's Browser
        page = browser.new_page(viewport={"width": 900, "height": 1300})

        def only_files(route) -> None:  # noqa: ANN001
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_files)
        page.goto(out.resolve().as_uri())
        seen["sections"] = page.locator("section h2").all_inner_texts()
        seen["boxes"] = page.locator(".checklist li").count()
        seen["overflow"] = page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "agreement.png"), full_page=True)
        page.emulate_media(media="print")
        seen["pdf"] = page.pdf(format="A4", prefer_css_page_size=True)

    run_in_chromium(scenario)
    assert seen["sections"] == ["Tiers: what lands where", "Targets and their calendars",
                                "Routes: who joins, and how soon", "Triage: what a handoff carries", "Playbooks",
                                "Reviews", "Signed"]
    assert seen["boxes"] == 9  # critical: four fields and two tags; high: three fields
    assert seen["overflow"] is False
    pages = re.findall(rb"/Type\s*/Page(?!s)", seen["pdf"])  # type: ignore[arg-type]
    assert len(pages) == 1, f"the agreement prints on {len(pages)} A4 pages"
    assert refused == []


def test_a_hostile_policy_reads_as_typed(tmp_path: Path) -> None:
    data = policy_to_dict(make_policy())
    data["routes"] = {"critical": {"route": "oncall", "channel": '<a href="https://evil.example">#inc</a>',
                                   "responders": ["<b>Backend</b>"], "join_within": "15m"}}
    data["tags_required"] = {"critical": ["<script>document.title='owned'</script>"]}
    out = tmp_path / "hostile.html"
    out.write_text(agreement_html(policy_from_dict(data, base_dir=tmp_path)), encoding="utf-8")
    seen: dict[str, object] = {}

    def scenario(browser) -> None:  # noqa: ANN001
        page = browser.new_page(viewport={"width": 900, "height": 900})
        page.goto(out.resolve().as_uri())
        seen["title"] = page.title()
        seen["links"] = page.locator("a").count()
        seen["bold"] = page.locator("td b").all_inner_texts()
        seen["text"] = page.inner_text("body")
        page.screenshot(path=str(SCREENSHOTS / "agreement_hostile.png"), full_page=True)

    run_in_chromium(scenario)
    assert seen["title"] == "Service level agreement" and seen["links"] == 0
    assert "<b>Backend</b>" not in seen["bold"] and "Backend" not in seen["bold"]
    text = str(seen["text"])
    assert '<a href="https://evil.example">#inc</a>' in text and "<b>Backend</b>" in text
    assert "<script>document.title='owned'</script>" in text
