"""The report opens in Chromium with every network request refused, and draws every chart."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.browser.harness import run_in_chromium
from tests.insights.conftest import EVERY_CHART, ROOT, sample_report  # noqa: F401 - the report fixture, shared

SCREENSHOT = ROOT / "tests" / "screenshots" / "report.png"


def test_report_draws_every_chart_without_network(sample_report: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, done = sample_report
    assert done.returncode == 0, done.stderr
    refused: list[str] = []
    errors: list[str] = []
    seen: dict[str, object] = {}

    def scenario(browser) -> None:  # noqa: ANN001 - playwright's Browser
        context = browser.new_context(viewport={"width": 1300, "height": 900})

        def only_files(route) -> None:  # noqa: ANN001
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        page = context.new_page()
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(out.resolve().as_uri())
        page.wait_for_function(
            "n => document.querySelectorAll('.plotly-graph-div .main-svg').length >= n",
            arg=len(EVERY_CHART), timeout=60_000,
        )
        seen["charts"] = page.locator("figure.chart").count()
        seen["drawn"] = page.locator("figure.chart .plotly-graph-div").count()
        seen["svgs"] = page.locator(".plotly-graph-div .main-svg").count()
        seen["keys"] = page.eval_on_selector_all("figure.chart", "els => els.map(e => e.dataset.chart)")
        # Each chart's plot area holds bars, lines or markers: the data arrived, not just axes.
        seen["empty"] = page.eval_on_selector_all(
            "figure.chart",
            "els => els.filter(e => !e.querySelector('g.trace .point')).map(e => e.dataset.chart)",
        )
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    # Its own Chromium on its own thread: tests/browser keeps a sync Playwright open on this one.
    run_in_chromium(scenario)
    assert set(seen["keys"]) == EVERY_CHART and seen["charts"] == seen["drawn"] == len(EVERY_CHART)
    assert seen["svgs"] >= len(EVERY_CHART)
    assert seen["empty"] == []
    assert errors == [], errors
    assert refused == [], f"the report tried the network: {refused}"
