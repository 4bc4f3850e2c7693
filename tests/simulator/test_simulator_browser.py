"""The simulator in a real browser: move the severity weight slider and watch tickets change tier."""

from __future__ import annotations

import re
import time
from pathlib import Path

from tests.browser.harness import settle

EXCEPTION = '[data-testid="stException"]'


def metric_value(page, label: str) -> str:  # noqa: ANN001
    name = page.locator('[data-testid="stMetricLabel"]', has_text=re.compile(f"^{re.escape(label)}$"))
    return page.locator('[data-testid="stMetric"]').filter(has=name).locator(
        '[data-testid="stMetricValue"]').inner_text().strip()


def test_moving_a_weight_slider_moves_tickets(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.goto(f"{server}/simulator")
    page.get_by_role("heading", name="Rubric simulator").wait_for(timeout=120_000)
    page.locator('[data-testid="stMetric"]').filter(has_text="Change tier").first.wait_for(timeout=120_000)
    settle(page)
    assert page.locator(EXCEPTION).count() == 0
    assert metric_value(page, "Change tier or state") == "0"

    # Streamlit's slider is a labelled range input (react-aria)
    slider = page.locator('[data-testid="stSlider"] input[type="range"][aria-label="severity"]')
    assert slider.input_value() == "0.35"
    slider.focus()
    for _ in range(25):  # 0.35 -> 0.60 in steps of 0.01
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    settle(page)
    assert slider.input_value() == "0.6"
    deadline = time.monotonic() + 60
    while metric_value(page, "Change tier or state") == "0" and time.monotonic() < deadline:
        page.wait_for_timeout(300)
    assert int(metric_value(page, "Change tier").replace(",", "")) > 0
    assert page.locator(EXCEPTION).count() == 0
    page.get_by_text("Tickets that change tier or state, and why").wait_for()
    # "Biggest move" names an off-diagonal cell once tickets move, whatever runs the 25 quick
    # moves interrupted on the way
    settle(page)
    assert page.get_by_role("combobox", name=re.compile("Tickets behind the cell")).input_value() == "Biggest move"
    caption = page.get_by_text(re.compile(r"^[\d,]+ tickets \w+ → \w+")).first.inner_text().strip()
    moved_from, moved_to = re.search(r"tickets (\w+) → (\w+)", caption).groups()
    assert moved_from != moved_to, caption
    page.screenshot(path=str(screenshots / "simulator.png"), full_page=True)
    context.close()
