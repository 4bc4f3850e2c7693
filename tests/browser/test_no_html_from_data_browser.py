"""No HTML from data, anywhere (issue 26.5): team names that look like HTML are text in every chart of the app
and of the downloaded report, never a live link or bold type."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.browser.harness import eventually, run_in_chromium, settle
from tests.browser.test_browser import EXCEPTION, page_of, upload

ROOT = Path(__file__).resolve().parents[2]
LINK = '<a href="http://evil.example">click</a>'
BOLD = "<b>bold team</b>"
# Two teams named like HTML, each with a late acknowledgement (a breach) and a resolution in November 2026.
HOSTILE_CSV = (
    "ticket_id,created_at,impact,owner_team,acknowledged_at,resolved_at\n"
    + "".join(f'H-{i},2026-11-{2 + i:02d}T10:00:00+00:00,critical,"{team.replace(chr(34), chr(34) * 2)}",'
              f"2026-11-{2 + i:02d}T11:00:00+00:00,2026-11-{3 + i:02d}T10:00:00+00:00\n"
              for i, team in enumerate([LINK, BOLD, LINK, BOLD]))
).encode()


def no_html_in_charts(page) -> None:  # noqa: ANN001 - playwright Page
    """Every chart has drawn; none holds a link, and no text is bold; the names are there as typed."""
    eventually(page, lambda: page.locator(".js-plotly-plot .main-svg").count() > 0, "a chart is drawn")
    charts = page.locator(".js-plotly-plot")
    assert charts.locator("a").count() == 0
    assert charts.locator("text b, tspan[style*='bold'], text[style*='bold']").count() == 0
    svg_text = " ".join(charts.locator("text").all_text_contents())
    assert "bold team" in svg_text and "evil.example" not in page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot a')).map(a => a.href).join(' ')")
    assert BOLD in svg_text, svg_text[:500]  # the tags shown as typed


def test_html_in_team_names_is_text_in_the_apps_charts(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "upload", width=1400, height=2200) as page:
        upload(page, "hostile.csv", HOSTILE_CSV)
        page.get_by_role("link", name="Review this upload").click()
        page.get_by_role("heading", name="Monthly SLA review").wait_for(timeout=60_000)
        settle(page)
        page.get_by_role("heading", name="Breaches by owner team, 2026-11").scroll_into_view_if_needed()
        settle(page)
        no_html_in_charts(page)
        page.screenshot(path=str(screenshots / "no_html_review.png"), full_page=True)
        page.get_by_role("link", name="Beyond the timers").click()
        page.get_by_role("heading", name="Beyond the timers").wait_for(timeout=60_000)
        settle(page)
        no_html_in_charts(page)
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "no_html_insights.png"), full_page=True)


def test_html_in_team_names_is_text_in_the_report(tmp_path: Path, screenshots: Path) -> None:
    tickets, report = tmp_path / "hostile.csv", tmp_path / "report.html"
    tickets.write_bytes(HOSTILE_CSV)
    done = subprocess.run(
        [sys.executable, "-m", "sla_core", "report", "--month", "2026-11", "--tickets", str(tickets),
         "--as-of", "2026-12-03T10:36:00+00:00", "--out", str(report)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr

    def scenario(browser) -> None:  # noqa: ANN001
        context = browser.new_context(viewport={"width": 1280, "height": 2400})
        try:
            page = context.new_page()
            page.route("http*://**", lambda route: route.abort())  # the report needs no network
            page.goto(report.as_uri())
            no_html_in_charts(page)
            assert page.locator("a[href*='evil.example']").count() == 0  # nor in its tables
            page.screenshot(path=str(screenshots / "no_html_report.png"), full_page=True)
        finally:
            context.close()

    run_in_chromium(scenario)
