"""The breach queue's forecast: the shift-end picker, per tier "expected x.x, 80 % interval a–b", the calibration
the backtest measured on this data, and "too small to forecast" where the history cannot say.

What depends only on the data and the policy (the survival steps, the backtest) is learnt once per data source
(the backtest in the background: the page never waits for it) through ui/data_sources.py's shared_value: shared by every session for the sample and the store (keyed by
source_key: kind, data version, policy, as_of; never by anything an upload holds), kept with the upload object for
an upload. A refresh of the queue only judges the running clocks (the queue's own live table) and counts the
past weeks' arrivals: a few small queries.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, time, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

import streamlit as st

from sla_core.analysis import forecast as fc
from sla_core.analysis.filters import Filters
from sla_core.analysis.forecast_backtest import Calibration, backtest
from sla_core.present import words
from sla_core.sources import DataSource
from ui.data_sources import shared_value

END_DATE, END_TIME = "forecast_end_date", "forecast_end_time"  # the shift-end picker's widgets


# The backtest judges the data once per past shift: seconds on the sample, minutes on a 1M-ticket store. It runs
# beside the page (one worker for the server), so the queue and its forecast never wait for it: the calibration
# line says it is being measured until it is, and the queue's refresh picks it up.
_BACKTESTS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="forecast-backtest")


def history(source: DataSource) -> fc.History:
    """The forecast's survival steps for this source, learnt once (ui.data_sources.shared_value): for every
    session for the sample and the store, kept with the upload for an upload."""
    with st.spinner("Learning the forecast from this data's history…"):
        return shared_value("forecast:history", source, (),
                            lambda: fc.learn(source.con, source.results, source.as_of), copied=False)


def calibration(source: DataSource) -> Optional[Calibration]:
    """The backtest's calibration for this source, measured once in the background: None until it is done."""
    measuring: Future = shared_value(
        "forecast:backtest", source, (),
        lambda: _BACKTESTS.submit(lambda: backtest(source.con, source.policy, results=source.results)[0]),
        copied=False)
    return measuring.result() if measuring.done() else None


def shift_end(source: DataSource, now: datetime) -> datetime:
    """The shift-end picker (a date and a time in the policy's zone); it starts at now + the policy's horizon
    and keeps the instant picked while the queue refreshes."""
    zone = ZoneInfo(source.policy.timezone)
    default = (now + timedelta(seconds=source.policy.forecast.horizon)).astimezone(zone)
    default = default.replace(second=0, microsecond=0) + timedelta(minutes=-default.minute % 15)
    left, right, _ = st.columns([1, 1, 3])
    day = left.date_input("Shift ends (date)", value=default.date(), key=END_DATE, format="YYYY-MM-DD")
    at = right.time_input("Shift ends (time)", value=default.time(), key=END_TIME, step=timedelta(minutes=15),
                          help=f"In {source.policy.timezone}, the policy's zone.")
    return datetime.combine(day, at if isinstance(at, time) else default.time(), tzinfo=zone)


def percent(share: float) -> str:
    """A share as the forecast writes it: "80 %"."""
    return f"{share:.0%}".replace("%", " %")


def calibration_line(calibration: Calibration) -> str:
    """The backtest's result in words: what the shown intervals held, how far the numbers were, how many."""
    if calibration.reason:
        return f"Calibration: not measured, {calibration.reason}."
    head = (f"Calibration, backtested on this data ({calibration.instants} past shifts of "
            f"{calibration.horizon_seconds / 3600:g} h, {calibration.first:%d %b %Y} to {calibration.last:%d %b %Y}): ")
    sure = f"one count {percent(calibration.sure_mass)} likely or more"
    if calibration.coverage is None or calibration.mean_mass is None:
        held = f"every tier forecast was quiet ({sure})"
    else:
        held = (f"the {percent(calibration.level)} interval held what happened in {percent(calibration.coverage)} "
                f"of {calibration.uncertain} uncertain tier forecasts (they claimed {percent(calibration.mean_mass)})")
    return (f"{head}{held}; {calibration.sure} quiet ones ({sure}) missed {calibration.sure_missed}; mean "
            f"absolute error {calibration.mae:.2f} breaches per tier and shift (mean {calibration.mean_actual:.2f}).")


def show(source: DataSource, filters: Filters, live: str, now: datetime, end: datetime) -> None:
    """Per tier, the clocks expected to breach by `end`, with the interval, and the calibration under them."""
    if end <= now:
        st.info("That shift has already ended: pick a later end for a forecast.")
        return
    if end > now + fc.LONGEST_SHIFT:
        st.info("A shift ends at most 7 days ahead: the forecast learns new tickets from the same window in past "
                "weeks. Pick an earlier end.")
        return
    tiers = fc.forecast(source.con, source.policy, history(source), live, now, end, filters, results=source.results)
    level = percent(source.policy.forecast.interval)
    hours = (end - now) / timedelta(hours=1)
    st.caption(f"Clocks expected to breach from now to the shift's end ({hours:.1f} h): running clocks due by then "
               "that may not stop in time, and new tickets like those of the same hours in past weeks.")
    reasons = {tier.too_small for tier in tiers}
    said_once = bool(tiers) and len(reasons) == 1 and None not in reasons
    if said_once:  # the data's own reason (too young, no longer filled), not each tier's
        st.info(f"Too small to forecast: {tiers[0].too_small}.")
        tiers = []
    for column, tier in zip(st.columns(max(len(tiers), 1)), tiers):
        name = words.value(tier.tier).capitalize()
        if tier.expected is None:
            column.metric(name, words.MISSING)
            column.caption(f"Too small to forecast: {tier.too_small}.")
            continue
        column.metric(name, f"{tier.expected:.1f}", help=(
            f"{tier.from_running:.1f} from {tier.clocks} running clock{'s' if tier.clocks != 1 else ''} due "
            f"by then, {tier.from_arrivals:.1f} from new tickets. The interval holds {percent(tier.mass or 0)} of the "
            "forecast's probability (counts are whole numbers: the nearest to the policy's level)."))
        column.caption(f"expected {tier.expected:.1f}, {level} interval {tier.low}–{tier.high}")
    if not tiers and not said_once:
        st.caption("No tier the policy times matches the filters.")
    measured = calibration(source)
    st.caption(calibration_line(measured) if measured is not None else
               "Calibration: being measured against this data's own past shifts (a backtest: seconds on a small "
               "data set, minutes on a large store); the queue's next refresh shows it.")
