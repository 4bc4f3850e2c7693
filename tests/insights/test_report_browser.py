"""The report opens in Chromium with every network request refused, and draws every chart."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.insights.conftest import EVERY_CHART, ROOT

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "tests" / "screenshots" / "report.png"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def need_chromium() -> None:
    if CHROMIUM.is_file():
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing, and CI=true: the report's browser test must run in CI")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); the report's browser test is skipped outside CI")


def test_report_draws_every_chart_without_network(sample_report: tuple[Path, subprocess.CompletedProcess]) -> None:
    need_chromium()
    from playwright.sync_api import sync_playwright

    out, done = sample_report
    assert done.returncode == 0, done.stderr
    refused: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1300, "height": 900})

            def only_files(route) -> None:
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
            charts = page.locator("figure.chart").count()
            drawn = page.locator("figure.chart .plotly-graph-div").count()
            svgs = page.locator(".plotly-graph-div .main-svg").count()
            keys = page.eval_on_selector_all("figure.chart", "els => els.map(e => e.dataset.chart)")
            # Each chart's plot area holds bars, lines or markers: the data arrived, not just axes.
            empty = page.eval_on_selector_all(
                "figure.chart",
                "els => els.filter(e => !e.querySelector('g.trace .point'))"
                ".map(e => e.dataset.chart)",
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
        finally:
            browser.close()
    assert set(keys) == EVERY_CHART and charts == drawn == len(EVERY_CHART)
    assert svgs >= len(EVERY_CHART)
    assert empty == []
    assert errors == [], errors
    assert refused == [], f"the report tried the network: {refused}"
