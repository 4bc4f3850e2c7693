"""How good the breaches forecast is, measured on the data's own history (docs/forecast.md).

At past instants T, the forecast is made as it would have been then: the clocks are judged at T by the engine
(stops and events after T unknown; `known_at`), the survival and the arrivals are learnt from those clocks
only, and the shift ends at T + the policy's horizon. What then happened is read from the clocks judged now:
per tier, the clocks whose due time fell in (T, T + horizon] and that had not stopped by it. Coverage is the
share of the (instant, tier) forecasts whose interval held that count, over the uncertain ones (`Calibration`
says why the quiet ones are counted apart); the mean absolute error is |expected - count| over them all. The
instants are spread evenly over the last BACKTEST_DAYS of the data, at least a horizon apart (by default every
61 h: no whole number of days, so every hour of the day is met), each at least MIN_WEEKS weeks after its start
and one horizon before its end (what happened must be known). Data with room for fewer than
MIN_BACKTEST such shifts is not backtested: the page says so instead of a calibration.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import duckdb
import numpy as np
import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.forecast import MIN_WEEKS, forecast, learn
from sla_core.clocks.codes import RESULT_COLUMNS
from sla_core.ingest.kept import evaluate_tickets
from sla_core.policy import Policy
from sla_core.sqlutil import fetch_one, quote_ident

BACKTEST_INSTANTS = 48  # forecasts per backtest (each judges the clocks open then: ~0.1 s on the sample)
BACKTEST_DAYS = 120  # spread over the last days of the data
MIN_BACKTEST = 20  # fewer past shifts fit in the data: no calibration to show


@dataclass(frozen=True)
class Calibration:
    """What the backtest measured. `coverage` is over the uncertain forecasts only: where one count held at least
    `sure_mass` of the probability (a quiet window: nothing due, nothing expected to arrive), the interval is
    that count and holds far more than the level, whatever the model's quality; those are counted apart
    (`sure`, and `sure_missed` where the count was not what happened). None where there is nothing to measure
    (`reason`)."""

    level: float  # the interval's probability, from the policy
    horizon_seconds: int
    instants: int
    forecasts: int  # (instant, tier) pairs with a number (a tier too small then is left out)
    uncertain: int  # of them, those whose interval held less than `sure_mass`
    coverage: Optional[float]  # share of the uncertain forecasts whose interval held what happened
    mean_mass: Optional[float]  # the uncertain intervals' own mean probability: what a right model would cover
    sure: int
    sure_missed: int
    mae: Optional[float]  # mean |expected - what happened| over every forecast
    mean_actual: Optional[float]  # mean breaches per tier and window, for scale
    first: Optional[datetime] = None  # the first and last instant forecast from
    last: Optional[datetime] = None
    reason: Optional[str] = None

    @property
    def sure_mass(self) -> float:
        """A forecast is sure when its interval holds at least this: the level plus half of the rest (0.9 at 80 %)."""
        return (1 + self.level) / 2


def unmeasured(policy: Policy, instants: int, reason: str) -> Calibration:
    """A calibration there was nothing to measure for, and why."""
    return Calibration(level=policy.forecast.interval, horizon_seconds=policy.forecast.horizon, instants=instants,
                       forecasts=0, uncertain=0, coverage=None, mean_mass=None, sure=0, sure_missed=0, mae=None,
                       mean_actual=None, reason=reason)


def calibration(policy: Policy, rows: pd.DataFrame, instants: int, first: Optional[datetime] = None,
                last: Optional[datetime] = None) -> Calibration:
    """The summary of backtest rows (instant, tier, expected, low, high, mass, actual), some or all of them."""
    if rows.empty:
        return unmeasured(policy, instants, "no tier had enough history at the past instants")
    covered = (rows["low"] <= rows["actual"]) & (rows["actual"] <= rows["high"])
    sure = rows["mass"] >= (1 + policy.forecast.interval) / 2
    uncertain = rows.loc[~sure]
    return Calibration(
        level=policy.forecast.interval, horizon_seconds=policy.forecast.horizon, instants=instants,
        forecasts=len(rows), uncertain=len(uncertain),
        coverage=float(covered[~sure].mean()) if len(uncertain) else None,
        mean_mass=float(uncertain["mass"].mean()) if len(uncertain) else None,
        sure=int(sure.sum()), sure_missed=int((sure & ~covered).sum()),
        mae=float(np.abs(rows["expected"] - rows["actual"]).mean()), mean_actual=float(rows["actual"].mean()),
        first=first, last=last)


def known_at(con: duckdb.DuckDBPyConnection, policy: Policy, results: str, at: datetime, out: str,
             *, tickets: str = "tickets", events: str = "events") -> str:
    """(Re)create table `out`: every clock of a ticket created by `at`, as judged at `at`. A ticket whose clocks
    had all stopped by then keeps its judged clocks from `results`; the others are judged again at `at` (their
    later stops and events unknown)."""
    open_ids = f"{out}_open_ids"  # the tickets with a clock still running at `at`, picked with `at` a parameter
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {open_ids} AS SELECT ticket_id FROM {quote_ident(tickets)}
            WHERE created_at <= $at AND (resolved_at IS NULL OR resolved_at > $at OR acknowledged_at > $at
                                         OR action_plan_at > $at)""",
        {"at": at})
    open_sql = f"SELECT ticket_id FROM {open_ids}"
    judged = f"{out}_open"
    try:
        evaluate_tickets(con, policy, at, open_sql, tickets=quote_ident(tickets), events=quote_ident(events),
                         out=judged)
        columns = ", ".join(quote_ident(c) for c in RESULT_COLUMNS)
        con.execute(
            f"""CREATE OR REPLACE TABLE {out} AS
                SELECT {columns} FROM {quote_ident(results)}
                WHERE created_at <= $at AND ticket_id NOT IN (SELECT ticket_id FROM {judged})
                UNION ALL SELECT {columns} FROM {judged}""",
            {"at": at},
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {judged}")
        con.execute(f"DROP TABLE IF EXISTS {open_ids}")
    return out


def happened(con: duckdb.DuckDBPyConnection, results: str, starts: list[datetime], horizon: timedelta) -> pd.DataFrame:
    """Per instant and tier, the clocks of `results` (judged now) that breached in (instant, instant + horizon]:
    due in it and not stopped by their due time (instant, tier, actual; `arrived`: of them, those created after
    the instant)."""
    return con.cursor().execute(
        f"""SELECT s.instant, r.tier, count(*) AS actual, count(*) FILTER (WHERE r.created_at > s.instant) AS arrived
            FROM (SELECT unnest($starts) AS instant) s JOIN {quote_ident(results)} r
              ON r.due_at > s.instant AND r.due_at <= s.instant + to_seconds($horizon)
            WHERE r.state <> 'untimed' AND (r.stopped_at IS NULL OR r.stopped_at > r.due_at)
            GROUP BY ALL""",
        {"starts": starts, "horizon": horizon.total_seconds()},
    ).df()


def instants(first: datetime, last: datetime, horizon: timedelta, count: int = BACKTEST_INSTANTS,
             days: int = BACKTEST_DAYS) -> list[datetime]:
    """Up to `count` instants spread evenly from MIN_WEEKS weeks after `first` (or `days` before the last one)
    to one horizon before `last`, at least a horizon apart (each a shift of its own)."""
    latest = last - horizon
    earliest = max(first + timedelta(weeks=MIN_WEEKS), latest - timedelta(days=days))
    if earliest > latest:
        return []
    span = latest - earliest
    n = min(count, int(span / horizon) + 1)
    return [latest - span * i / max(n - 1, 1) for i in range(n)][::-1]


def backtest(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    *,
    results: str = "sla_results",
    until: Optional[datetime] = None,
    count: int = BACKTEST_INSTANTS,
    days: int = BACKTEST_DAYS,
) -> tuple[Calibration, pd.DataFrame]:
    """Forecasts made at past instants against what then happened, at the policy's horizon and level: the summary
    and one row per instant and tier (instant, tier, expected, low, high, mass, from_arrivals, actual, arrived;
    a tier too small then: no row).

    `until`: the last instant the data is known to (default: the last stop or creation of `results`); one loop
    step per instant (never per ticket), each judging the clocks open then.
    """
    horizon = timedelta(seconds=policy.forecast.horizon)
    cur = con.cursor()
    first, last = fetch_one(cur.execute(
        f"SELECT min(created_at), greatest(max(created_at), max(stopped_at)) FROM {quote_ident(results)}"))
    starts = instants(first, min(last, until) if until else last, horizon, count, days) if first else []
    if len(starts) < MIN_BACKTEST:
        return unmeasured(policy, len(starts), f"the data spans too little time to backtest: room for "
                                               f"{len(starts)} past shifts, {MIN_BACKTEST} needed"), pd.DataFrame()
    prefix = f"backtest_{uuid.uuid4().hex[:12]}"
    rows = []
    try:
        for at in starts:
            known_at(cur, policy, results, at, prefix)
            history = learn(cur, prefix, at)
            for tier in forecast(cur, policy, history, prefix, at, at + horizon, Filters(), results=prefix):
                if tier.expected is not None:
                    rows.append((at, tier.tier, tier.expected, tier.low, tier.high, tier.mass, tier.from_arrivals))
    finally:
        cur.execute(f"DROP TABLE IF EXISTS {prefix}")
        cur.close()
    made = pd.DataFrame(rows, columns=["instant", "tier", "expected", "low", "high", "mass", "from_arrivals"])
    truth = happened(con, results, starts, horizon)
    made["instant"] = pd.to_datetime(made["instant"], utc=True)
    truth["instant"] = pd.to_datetime(truth["instant"], utc=True)
    made = made.merge(truth, on=["instant", "tier"], how="left").fillna({"actual": 0, "arrived": 0})
    made = made.astype({"actual": int, "arrived": int})
    return calibration(policy, made, len(starts), starts[0], starts[-1]), made


__all__ = ["BACKTEST_DAYS", "BACKTEST_INSTANTS", "Calibration", "MIN_BACKTEST", "backtest", "calibration", "happened",
           "instants", "known_at", "unmeasured"]
