"""The breach queue's forecast, driven in-process with AppTest: what it shows is what sla_core computes, the
shift's end can be picked, and an upload too small to forecast says so (its learning kept in its session)."""

from __future__ import annotations

import time

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from streamlit.testing.v1 import AppTest

from sla_core.analysis import forecast as fc, queue
from sla_core.analysis.filters import Filters
from sla_core.now import now
from sla_core.sources import DataSource
from ui import data_sources, forecast_panel
from ui.state import StateKeys

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")

UPLOAD_CSV = b"""ticket_id,created_at,impact,owner_team,acknowledged_at,resolved_at
U-1,2026-11-02 10:00,critical,engineering,2026-11-02 10:10,2026-11-02 15:00
U-2,2026-11-03 10:00,critical,support,2026-11-03 12:00,2026-11-04 10:00
U-3,2026-11-04 10:00,high,product,2026-11-04 10:30,
"""


def queue_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/breach_queue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(scope="module")
def page() -> AppTest:
    return queue_page()


def calibrated(at: AppTest, timeout: float = 180) -> list[str]:
    """The page's captions once the background backtest is done (the queue refreshes to show it): the page never
    waits for it, so a test reruns until the calibration line says what it measured."""
    deadline = time.monotonic() + timeout
    while True:
        captions = [c.value for c in at.caption]
        if not any(c.startswith("Calibration: being measured") for c in captions) or time.monotonic() > deadline:
            return captions
        time.sleep(0.5)
        at.run()


def shift_end(at: AppTest, zone: str) -> datetime:
    day = at.date_input(key=forecast_panel.END_DATE).value
    time = at.time_input(key=forecast_panel.END_TIME).value
    return datetime.combine(day, time, tzinfo=ZoneInfo(zone))


def expected_forecast(source: DataSource, end: datetime) -> list[fc.TierForecast]:
    history = fc.learn(source.con, source.results, source.as_of)
    with queue.live_results(source.con, source.policy, now(), results=source.results) as live:
        return fc.forecast(source.con, source.policy, history, live, now(), end, Filters(), results=source.results)


def test_the_queue_shows_the_cores_forecast_per_tier_with_its_interval(page: AppTest) -> None:
    source: DataSource = page.session_state[StateKeys.ACTIVE_SOURCE]
    zone = source.policy.timezone
    end = shift_end(page, zone)
    # the picker starts at now + the policy's horizon (8 h), on the next quarter hour
    assert timedelta(hours=8) <= end - now() < timedelta(hours=8, minutes=15) and end.minute % 15 == 0
    expected = expected_forecast(source, end)
    shown = {m.label: m.value for m in page.metric}
    captions = calibrated(page)
    for tier in expected:
        assert tier.expected is not None
        assert shown[tier.tier.capitalize()] == f"{tier.expected:.1f}"
        assert f"expected {tier.expected:.1f}, 80 % interval {tier.low}–{tier.high}" in captions
    assert sum(t.expected or 0 for t in expected) > 0
    calibration = [c for c in captions if c.startswith("Calibration")]
    assert len(calibration) == 1 and "the 80 % interval held what happened in" in calibration[0], calibration
    assert "48 past shifts of 8 h" in calibration[0]


def test_a_shorter_shift_expects_no_more_breaches(page: AppTest) -> None:
    source: DataSource = page.session_state[StateKeys.ACTIVE_SOURCE]
    zone = source.policy.timezone
    soon = (now() + timedelta(hours=1)).astimezone(ZoneInfo(zone))
    page.date_input(key=forecast_panel.END_DATE).set_value(soon.date())
    page.time_input(key=forecast_panel.END_TIME).set_value(soon.time().replace(second=0, microsecond=0)).run()
    assert not page.exception, [e.value for e in page.exception]
    end = shift_end(page, zone)
    shown = {m.label: m.value for m in page.metric}
    for tier in expected_forecast(source, end):
        assert shown[tier.tier.capitalize()] == f"{tier.expected:.1f}"
    assert any(c.value.startswith("Clocks expected to breach from now to the shift's end (1.0 h)") for c in page.caption)
    # a shift that has ended gives no number, and says why
    past = (now() - timedelta(hours=2)).astimezone(ZoneInfo(zone))
    page.date_input(key=forecast_panel.END_DATE).set_value(past.date())
    page.time_input(key=forecast_panel.END_TIME).set_value(past.time().replace(second=0, microsecond=0)).run()
    assert [i.value for i in page.info] == ["That shift has already ended: pick a later end for a forecast."]


def test_an_upload_too_small_to_forecast_says_so_and_keeps_its_learning_to_itself() -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/upload.py").run()
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("mine.csv", UPLOAD_CSV, "text/csv")).run()
    at.button[0].click().run()
    at.switch_page("pages/breach_queue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    upload: DataSource = at.session_state[StateKeys.UPLOAD]
    assert at.session_state[StateKeys.ACTIVE_SOURCE] is upload
    shown = {m.label: m.value for m in at.metric}
    assert shown["Critical"] == shown["High"] == "—"
    captions = [c.value for c in at.caption]
    # a month of history, but 3 tickets: 2 stopped critical clocks (U-1's and U-2's acknowledgements; the sample
    #   policy times no critical resolution, the export has no action plan), 1 high (U-3's acknowledgement), none
    #   of medium or low
    assert [c for c in captions if c.startswith("Too small")] == [
        "Too small to forecast: 2 stopped clocks in history, fewer than 50.",
        "Too small to forecast: 1 stopped clock in history, fewer than 50.",
        "Too small to forecast: 0 stopped clocks in history, fewer than 50.",
        "Too small to forecast: 0 stopped clocks in history, fewer than 50.",
    ]
    assert not any(c.startswith("expected ") for c in captions)
    captions = calibrated(at)
    assert ("Calibration: not measured, the data spans too little time to backtest: room for 0 past shifts, "
            "20 needed.") in captions
    # learnt once, and kept with the upload object: no cache another session reads holds it
    memo = data_sources._UPLOAD_MEMO[upload]
    assert isinstance(memo[("forecast:history", "")], fc.History)
    assert memo[("forecast:backtest", "")].done()


def test_the_tier_filter_narrows_the_forecast_to_its_tier() -> None:
    at = queue_page()
    at.selectbox(key=StateKeys.TIER).set_value("critical").run()
    assert not at.exception, [e.value for e in at.exception]
    source: DataSource = at.session_state[StateKeys.ACTIVE_SOURCE]
    history = fc.learn(source.con, source.results, source.as_of)
    end = shift_end(at, source.policy.timezone)
    with queue.live_results(source.con, source.policy, now(), results=source.results) as live:
        expected = fc.forecast(source.con, source.policy, history, live, now(), end, Filters(tier="critical"),
                               results=source.results)
    shown = {m.label: m.value for m in at.metric}
    assert [t.tier for t in expected] == ["critical"] and not {"High", "Medium", "Low"} & set(shown)
    assert shown["Critical"] == f"{expected[0].expected:.1f}"


def test_a_store_no_longer_filled_says_so_once_instead_of_zeros() -> None:
    """An old export (the newest ticket years before now): its recent weeks are empty, not quiet, so the queue
    shows no "0.0 expected" but one sentence for every tier."""
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.switch_page("pages/upload.py").run()
    old = UPLOAD_CSV.replace(b"2026-11-0", b"2016-03-0")
    at.file_uploader(key=StateKeys.UPLOAD_TICKETS).set_value(("old.csv", old, "text/csv")).run()
    at.button[0].click().run()
    at.switch_page("pages/breach_queue.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [i.value for i in at.info if i.value.startswith("Too small")] == [
        "Too small to forecast: the newest ticket was created on 04 Mar 2016, more than 8 weeks ago: no recent "
        "weeks to learn new tickets from."]
    assert not {"Critical", "High", "Medium", "Low"} & {m.label for m in at.metric}
    assert not any(c.value.startswith(("expected ", "Too small", "No tier")) for c in at.caption)
