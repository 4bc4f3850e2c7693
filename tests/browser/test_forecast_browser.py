"""The breach queue's forecast in Chromium: per tier the breaches expected by the shift's end with the 80 %
interval, the calibration beside them, and a later shift end picked by hand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.harness import eventually, settle
from tests.browser.test_browser import EXCEPTION, metric, page_of

TIERS = ("Critical", "High", "Medium", "Low")
INTERVAL = re.compile(r"^expected \d+\.\d, 80 % interval \d+–\d+$")


def forecast_section(page):  # noqa: ANN001, ANN201 - playwright Locator
    """The forecast's part of the page: its heading to the calibration line."""
    heading = page.get_by_role("heading", name="Breaches forecast for the shift")
    heading.wait_for(timeout=120_000)
    return heading


def shift_hours(page) -> float:  # noqa: ANN001
    """The hours from now to the shift's end, as the forecast's caption says them."""
    caption = page.get_by_text(re.compile(r"^Clocks expected to breach from now to the shift's end")).inner_text()
    return float(re.search(r"\((\d+\.\d) h\)", caption).group(1))


def test_the_queue_forecasts_the_shift_and_says_how_good_it_is(browser, server: str,  # noqa: ANN001
                                                                screenshots: Path) -> None:
    with page_of(browser, server, "breach_queue", width=1440, height=2600, timeout=120_000) as page:
        heading = forecast_section(page)
        # measured in the background, shown at the queue's next refresh (every 60 s) once done
        page.get_by_text(re.compile(r"^Calibration, backtested on this data")).wait_for(timeout=180_000)
        settle(page)
        assert page.locator(EXCEPTION).count() == 0
        values = {tier: metric(page, tier) for tier in TIERS}
        assert all(re.fullmatch(r"\d+\.\d", value) for value in values.values()), values
        intervals = page.get_by_text(INTERVAL).all_inner_texts()
        assert len(intervals) == 4 and [i.split(",")[0] for i in intervals] == [f"expected {values[t]}" for t in TIERS]
        calibration = page.get_by_text(re.compile(r"^Calibration, backtested")).inner_text()
        assert re.search(r"the 80 % interval held what happened in \d+ % of \d+ uncertain tier forecasts",
                         calibration), calibration
        heading.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "breach_queue_forecast.png"), full_page=True)
        # A longer shift: the end a day later expects at least as many breaches in total.
        before, hours = sum(float(v) for v in values.values()), shift_hours(page)
        assert 8 <= hours < 8.3  # the policy's horizon, to the next quarter hour
        day = page.get_by_role("spinbutton", name="day, Shift ends (date)")
        day.click()
        day.press("ArrowUp")  # the next day
        day.press("Escape")
        settle(page)
        eventually(page, lambda: shift_hours(page) == pytest.approx(hours + 24, abs=0.11),
                   "the forecast follows the shift's end, a day later")
        assert sum(float(metric(page, t)) for t in TIERS) >= before
        assert page.locator(EXCEPTION).count() == 0
        page.screenshot(path=str(screenshots / "breach_queue_forecast_longer_shift.png"), full_page=True)
