"""Ten browser sessions at once on one `streamlit run app.py`: no error, no cross-talk, the single session's answers.

Ten Playwright contexts (ten independent Streamlit sessions) in one Chromium
open the Review page and the Breach queue at the same time; five of them then
upload a different small export at the same time (one under a hostile file
name with HTML ticket ids). Every step is started in all contexts before any
is awaited, so the server runs the sessions' scripts concurrently. Checks: no
exception box anywhere; each upload's counts and name show only in its own
context; every other context's Review headline equals a lone session's; no
script in a file name, ticket id or link runs. Screenshots land in
tests/screenshots/concurrent_*.png.

The app server fixture comes from tests/browser/harness.py (a missing
/usr/bin/chromium skips, or fails under CI=true); Chromium runs on its own
thread (conftest.run_in_chromium) so it can coexist with tests/browser's.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from tests.browser.harness import run_in_chromium, settle

SESSIONS = 10
UPLOADERS = range(5)  # contexts 0..4 upload, 5..9 only read
EXCEPTION = '[data-testid="stException"]'
TITLES = {"Review": "Monthly SLA review", "Breach queue": "Breach queue", "Upload": "Upload an export"}
HEADLINE = ("Clocks met", "Clocks breached", "Adherence, last 12 months")
XSS_FLAG = "window.__sla_xss"
HOSTILE_NAME = "<img src=x onerror=\"window.__sla_xss='name'\">.csv"
HOSTILE_LINK_TIER = "<img src=x onerror=\"window.__sla_xss='link'\">"


def export(i: int) -> tuple[str, bytes]:
    """Context i's own export: i + 2 valid tickets (so its counts differ from every other's)."""
    rows = "".join(
        f"C{i}-{k},2026-11-{k + 2:02d} 10:00,{'critical' if k % 2 else 'high'},enterprise,support,2026-11-{k + 2:02d} 10:20\n"
        for k in range(i + 2)
    )
    if i == 0:  # the hostile one: HTML in the file name and in a ticket id
        rows += "\"<img src=x onerror=\"\"window.__sla_xss='id'\"\">\",2026-11-20 10:00,high,enterprise,support,\n"
        return HOSTILE_NAME, ("ticket_id,created_at,impact,segment,owner_team,acknowledged_at\n" + rows).encode()
    return f"tickets_{i}.csv", ("ticket_id,created_at,impact,segment,owner_team,acknowledged_at\n" + rows).encode()


def expected_rows(i: int) -> int:
    return i + 2 + (1 if i == 0 else 0)


def arrive(page, title: str, quiet: float = 1.5) -> None:  # noqa: ANN001
    """The page shows `title` and has stopped drawing. Pages after the first of a round settle with a shorter
    quiet spell: they were drawing while the first one settled."""
    page.get_by_role("heading", name=title).wait_for(timeout=180_000)
    settle(page, 180, quiet)


def go_to(page, name: str) -> None:  # noqa: ANN001
    """Navigate within the session (a new URL would start a new session and lose its upload)."""
    page.locator('[data-testid="stSidebarNav"] a').filter(has_text=name).first.click()


def metric(page, label: str) -> str:  # noqa: ANN001
    box = page.locator('[data-testid="stMetric"]').filter(has=page.get_by_text(label, exact=True))
    return box.locator('[data-testid="stMetricValue"]').first.inner_text().strip()


def headline(page) -> dict[str, str]:  # noqa: ANN001
    return {label: metric(page, label) for label in HEADLINE}


def clean(page, where: str) -> None:  # noqa: ANN001
    assert page.locator(EXCEPTION).count() == 0, f"{where}: {page.locator(EXCEPTION).first.inner_text()[:400]}"
    assert page.evaluate(XSS_FLAG) is None, f"{where}: injected script ran ({page.evaluate(XSS_FLAG)})"
    assert page.locator('[data-testid="stApp"] img[onerror]').count() == 0, f"{where}: an <img onerror> reached the DOM"


def test_ten_sessions_at_once_match_a_single_session(server: str, screenshots: Path) -> None:
    run_in_chromium(lambda browser: ten_sessions(browser, server, screenshots))


def test_the_uploader_refuses_another_file_type_and_states_the_limit(server: str, screenshots: Path) -> None:
    run_in_chromium(lambda browser: refused_type(browser, server, screenshots))


def ten_sessions(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    lone = browser.new_context(viewport={"width": 1300, "height": 1400})
    try:
        page = lone.new_page()
        page.goto(server)
        arrive(page, TITLES["Review"])
        clean(page, "single session")
        single = headline(page)
        assert re.fullmatch(r"\d+\.\d%", single["Adherence, last 12 months"]), single
    finally:
        lone.close()

    contexts = [browser.new_context(viewport={"width": 1300, "height": 1400}) for _ in range(SESSIONS)]
    pages = [context.new_page() for context in contexts]
    try:
        # Everyone opens Review at once; the last reader arrives through a link with HTML in it.
        for i, page in enumerate(pages):
            page.goto(server + (f"/?tier={quote(HOSTILE_LINK_TIER)}" if i == SESSIONS - 1 else ""))
        for i, page in enumerate(pages):
            arrive(page, TITLES["Review"], 1.5 if i == 0 else 0.4)
            clean(page, f"session {i} review")
            assert headline(page) == single, f"session {i}"

        # Everyone opens the breach queue at once.
        for page in pages:
            go_to(page, "Breach queue")
        for i, page in enumerate(pages):
            arrive(page, TITLES["Breach queue"], 1.5 if i == 0 else 0.4)
            clean(page, f"session {i} queue")
            assert metric(page, "Breached").isdigit() and metric(page, "At risk").isdigit()

        # Five sessions upload their own export at once.
        for i in UPLOADERS:
            go_to(pages[i], "Upload")
        for i in UPLOADERS:
            arrive(pages[i], TITLES["Upload"])
            name, content = export(i)
            pages[i].locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                {"name": name, "mimeType": "text/csv", "buffer": content}
            )
        for i in UPLOADERS:  # the upload's rerun draws the button; click once that run is over
            pages[i].get_by_role("button", name=re.compile("Load and evaluate")).wait_for(timeout=180_000)
            settle(pages[i], 180)
        for i in UPLOADERS:
            pages[i].get_by_role("button", name=re.compile("Load and evaluate")).click()
        for i in UPLOADERS:
            pages[i].get_by_text("Rows read").wait_for(timeout=180_000)
            settle(pages[i], 180)
            clean(pages[i], f"session {i} upload")
            assert metric(pages[i], "Rows read") == str(expected_rows(i))
            assert metric(pages[i], "Tickets evaluated") == str(expected_rows(i))
            go_to(pages[i], "Review")
        for i in UPLOADERS:
            arrive(pages[i], TITLES["Review"], 1.5 if i == 0 else 0.4)
            clean(pages[i], f"session {i} review of its upload")
            caption = pages[i].locator('[data-testid="stCaptionContainer"]').first.inner_text()
            assert f"{expected_rows(i)} tickets" in caption, caption
            if i:
                assert f"Upload tickets_{i}.csv" in caption, caption

        # The readers, rerun after all the uploads, still see the sample and a lone session's numbers.
        for i in range(len(UPLOADERS), SESSIONS):
            go_to(pages[i], "Review")
        for i in range(len(UPLOADERS), SESSIONS):
            arrive(pages[i], TITLES["Review"], 1.5 if i == len(UPLOADERS) else 0.4)
            clean(pages[i], f"session {i} review after the uploads")
            assert headline(pages[i]) == single, f"session {i}"
            assert "Bundled sample" in pages[i].locator('[data-testid="stCaptionContainer"]').first.inner_text()
            assert pages[i].get_by_text("This session's upload").count() == 0

        # No session shows another session's upload, anywhere on its page.
        for i, page in enumerate(pages):
            text = page.locator('[data-testid="stApp"]').inner_text()
            for j in UPLOADERS:
                if j != i and j != 0:
                    assert f"tickets_{j}.csv" not in text, f"session {i} shows session {j}'s upload"
                if j != i:
                    assert f"C{j}-" not in text, f"session {i} shows session {j}'s tickets"
            page.screenshot(path=str(screenshots / f"concurrent_{i}.png"))
    except BaseException:
        for i, page in enumerate(pages):  # what each session showed when it went wrong
            page.screenshot(path=str(screenshots / f"concurrent_{i}_failed.png"))
        raise
    finally:
        for context in contexts:
            context.close()


def refused_type(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1300, "height": 1000})
    try:
        page = context.new_page()
        page.goto(f"{server}/upload")
        arrive(page, TITLES["Upload"])
        dropzone = page.locator('[data-testid="stFileUploaderDropzone"]').first
        assert re.search(r"200\s?MB per file", dropzone.inner_text()), dropzone.inner_text()
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            {"name": "report.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.7\n"}
        )
        page.get_by_text(re.compile(r"not (allowed|supported)", re.I)).first.wait_for(timeout=30_000)
        settle(page, 180)
        assert page.get_by_role("button", name=re.compile("Load and evaluate")).count() == 0
        clean(page, "refused upload")
        page.screenshot(path=str(screenshots / "upload_refused_type.png"))
    finally:
        context.close()
