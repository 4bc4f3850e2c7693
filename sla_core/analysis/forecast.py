"""Breaches forecast for the shift: how many clocks are expected to breach between now and the shift's end, per
tier, with an interval (docs/forecast.md).

The count has two parts, both learnt from the judged history in SQL over whole tables:

(a) Clocks running now. A clock breaches in the window only if its due time falls in it (one already breached is
    not a new breach; one due after the shift's end cannot breach by then; a paused clock has no due time and is
    left out) and it does not stop before that due time. Its chance not to stop is an empirical survival
    (Kaplan-Meier) in the clock's own units, u = elapsed / target: breach means u > 1 at the stop, so a clock
    running at u0 breaches with chance S(1) / S(u0), the product of (1 - stops / at risk) over the history's
    stops between u0 and 1. History is every timed clock judged: a stopped one is a stop at its u, a running one
    is censored at its u. The groups are tier x metric x owner team, backed off to tier x metric, to metric and
    to all clocks while fewer than MIN_AT_RISK history clocks of the group got further than u0.
(b) Clocks not opened yet. The same window in each of the past weeks (by hour of week, so business hours and
    quiet nights come out right) held clocks that were created in it and breached before its end: their weekly
    average is the expected count of new breaches, an arrival rate times its breach-within-window rate at once.

The count is then a sum of independent Bernoullis (a) plus a Poisson (b). Its distribution is computed exactly
(up to rounding): the characteristic function, a product over the clocks times the Poisson's, sampled at M
points and inverted by one FFT (Hong 2013, "On computing the distribution function for the Poisson binomial
distribution"); M reaches 12 standard deviations (and 30 counts) past the mean, so the mass that wraps around
is negligible against the rounding. The interval is the highest-probability run of counts whose mass is nearest
the policy's `forecast.interval` (`interval`); counts are whole numbers, so an interval holding exactly 80 %
rarely exists.

A tier with fewer than MIN_STOPPED stopped clocks in history, data with less than MIN_WEEKS weeks of history
before now, or data whose newest ticket is more than STALE_WEEKS weeks old (a store no longer filled, such as an
old export: its recent weeks are empty, not quiet) is too small to forecast: the forecast says so instead of
giving a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

import duckdb
import numpy as np
import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.where import FILTER_COLUMNS, filtered
from sla_core.policy import Policy
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import METRICS, TIERS

MIN_AT_RISK = 20  # history clocks that got further than a running one, for its group to be used (else back off)
MIN_STOPPED = 50  # stopped clocks of a tier in history, for the tier to be forecast
MIN_WEEKS = 2  # whole weeks of history before now, for the arrivals (and so any forecast)
ARRIVAL_WEEKS = 4  # the past weeks whose same window gives the arrivals' expected breaches (few: volumes drift)
STALE_WEEKS = 8  # a newest ticket older than this: a store no longer filled, whose recent weeks are empty
LONGEST_SHIFT = timedelta(days=7)  # a longer window would reach into the weeks it learns arrivals from
_GRID = 1000  # u is rounded up to 1/1000 of the target
_PAST_DUE = 1.001  # every u beyond the target is one value: only survival up to the target matters
_NEVER = -1e6  # log S once every clock at risk has stopped (S = 0)


@dataclass(frozen=True)
class History:
    """What the forecast learns from the judged history, once per data version and policy: the survival steps
    per group, the stopped clocks per tier and the weeks of history. Plain frames: it keeps nothing on a
    connection, so it can be cached apart from the source."""

    survival: pd.DataFrame  # gkey, u, log_s (log S(u)), beyond (history clocks past u), log_s1 (log S(1))
    stopped: dict[str, int]  # stopped timed clocks per tier
    first: Optional[datetime]  # the first clock's creation
    cut: datetime  # what the history knows: clocks judged at this instant
    last: Optional[datetime] = None  # the newest clock's creation

    def weeks(self, as_of: datetime) -> int:
        """Whole weeks of history before `as_of`: how many past windows the arrivals can average."""
        return 0 if self.first is None else max(0, int((as_of - self.first) / timedelta(weeks=1)))

    def too_small(self, tier: str, as_of: datetime) -> Optional[str]:
        """Why the tier cannot be forecast at `as_of` (None: it can)."""
        if self.weeks(as_of) < MIN_WEEKS:
            return f"less than {MIN_WEEKS} weeks of history"
        if self.last is not None and as_of - self.last > timedelta(weeks=STALE_WEEKS):
            # a store no longer filled: its past weeks hold no ticket, and 0 expected would be a guess
            return (f"the newest ticket was created on {self.last:%d %b %Y}, more than {STALE_WEEKS} weeks ago: "
                    "no recent weeks to learn new tickets from")
        stopped = self.stopped.get(tier, 0)
        if stopped < MIN_STOPPED:
            return f"{stopped} stopped clock{'s' if stopped != 1 else ''} in history, fewer than {MIN_STOPPED}"
        return None


@dataclass(frozen=True)
class TierForecast:
    """One tier's forecast; `expected` and the interval are None where the data is too small (`too_small`)."""

    tier: str
    expected: Optional[float]
    low: Optional[int]
    high: Optional[int]
    mass: Optional[float]  # the interval's own probability (near the policy's level, see `interval`)
    from_running: float  # expected breaches of clocks running now
    from_arrivals: float  # expected breaches of clocks opened in the window
    clocks: int  # running clocks due in the window (the only ones that can breach in it)
    too_small: Optional[str] = None


def _timed(history: str) -> str:
    return f"{history}.state <> 'untimed' AND {history}.target_seconds > 0 AND {history}.elapsed_seconds IS NOT NULL"


def _u(elapsed: str, target: str) -> str:
    """SQL: elapsed / target rounded up to the grid (a clock just over its target stays over it), at most _PAST_DUE."""
    return f"least(ceil({elapsed} * {_GRID}.0 / {target}) / {_GRID}.0, {_PAST_DUE})"


def _gkey(level: str, tier: str, metric: str, team: str) -> str:
    """SQL: the survival group's key at `level` (0 tier x metric x team, 1 tier x metric, 2 metric, 3 all)."""
    return f"""CASE {level} WHEN 0 THEN '0|' || {tier} || '|' || {metric} || '|' || {team}
                            WHEN 1 THEN '1|' || {tier} || '|' || {metric}
                            WHEN 2 THEN '2|' || {metric} ELSE '3' END"""


_SURVIVAL_SQL = """
    WITH obs AS (
        SELECT h.tier, h.metric, coalesce(h.owner_team, '') AS team, {u} AS u, h.stopped_at IS NOT NULL AS stopped
        FROM {history} h
        WHERE {timed}
    ), counted AS (
        SELECT {gkey} AS gkey, u, count(*) FILTER (WHERE stopped) AS stops, count(*) AS seen
        FROM obs CROSS JOIN (SELECT unnest([0, 1, 2, 3]) AS level) l
        GROUP BY ALL
    ), risk AS (
        -- at risk at u: the clocks that got to u (stopped at or after it, or still running there)
        SELECT *, sum(seen) OVER (PARTITION BY gkey ORDER BY u DESC) AS at_risk FROM counted
    ), steps AS (
        SELECT gkey, u, at_risk - seen AS beyond,
               sum(CASE WHEN stops = at_risk THEN {never} ELSE ln(1 - stops::DOUBLE / at_risk) END)
                   OVER (PARTITION BY gkey ORDER BY u) AS log_s
        FROM risk
        -- a step before every clock: S = 1 and the whole group beyond it
        UNION ALL SELECT gkey, -1.0, sum(seen), 0.0 FROM counted GROUP BY gkey
    )
    SELECT gkey, u, log_s, beyond,
           coalesce(max_by(log_s, u) FILTER (WHERE u <= 1) OVER (PARTITION BY gkey), 0.0) AS log_s1
    FROM steps
    ORDER BY gkey, u
"""


def learn(con: duckdb.DuckDBPyConnection, results: str, cut: datetime) -> History:
    """The survival steps and the counts the forecast needs, from the clocks of `results` judged at `cut`."""
    cur = con.cursor()
    try:
        history = quote_ident(results)
        survival = cur.execute(_SURVIVAL_SQL.format(
            history=history, timed=_timed("h"), u=_u("h.elapsed_seconds", "h.target_seconds"),
            gkey=_gkey("l.level", "obs.tier", "obs.metric", "obs.team"), never=_NEVER)).df()
        stopped = dict(cur.execute(
            f"""SELECT h.tier, count(*) FROM {history} h WHERE {_timed('h')} AND h.stopped_at IS NOT NULL
                GROUP BY h.tier""").fetchall())
        first, last = fetch_one(cur.execute(f"SELECT min(created_at), max(created_at) FROM {history}"))
    finally:
        cur.close()
    return History(survival=survival, stopped={str(k): int(v) for k, v in stopped.items()}, first=first, cut=cut,
                   last=last)


def running_chances(
    con: duckdb.DuckDBPyConnection, history: History, live: str, as_of: datetime, end: datetime, filters: Filters,
) -> pd.DataFrame:
    """Per clock of `live` (judged at `as_of`) that can breach in (as_of, end]: its chance to (ticket_id, metric,
    tier, u0, level, chance). Running or at risk, due in the window; `level` is the survival group used."""
    where = filtered(filters, columns={name: f"r.{column}" for name, column in FILTER_COLUMNS.items()})
    where.add("r.stopped_at IS NULL AND r.state IN ('running', 'at_risk') AND r.due_at > $as_of AND r.due_at <= $end",
              as_of=as_of, end=end)
    cur = con.cursor()
    try:
        cur.register("forecast_survival", history.survival)
        return cur.execute(
            f"""
            WITH due AS (
                SELECT r.ticket_id, r.metric, r.tier, coalesce(r.owner_team, '') AS team,
                       {_u('r.elapsed_seconds', 'r.target_seconds')} AS u0
                FROM {quote_ident(live)} r
                WHERE {_timed('r')} AND {where.sql}
            ), keyed AS (
                SELECT due.*, l.level, {_gkey('l.level', 'due.tier', 'due.metric', 'due.team')} AS gkey
                FROM due CROSS JOIN (SELECT unnest([0, 1, 2, 3]) AS level) l
            ), looked AS (
                -- the group's survival at the last step at or before u0 (its -1 step when u0 precedes them all)
                SELECT k.*, s.beyond, s.log_s, s.log_s1
                FROM keyed k ASOF JOIN forecast_survival s ON k.gkey = s.gkey AND k.u0 >= s.u
            ), used AS (
                -- the finest group with enough clocks beyond u0; all clocks (level 3) when none has
                SELECT ticket_id, metric, any_value(tier) AS tier, any_value(u0) AS u0,
                       min(level) FILTER (WHERE beyond >= $min_at_risk OR level = 3) AS level
                FROM looked GROUP BY ticket_id, metric
            )
            SELECT u.ticket_id, u.metric, u.tier, u.u0, u.level,
                   -- no history clock ever got this far: nothing says it will stop, so it breaches
                   CASE WHEN l.beyond = 0 THEN 1.0 ELSE exp(least(l.log_s1 - l.log_s, 0.0)) END AS chance
            FROM used u JOIN looked l USING (ticket_id, metric, level)
            ORDER BY u.tier, u.ticket_id, u.metric
            """,
            {**where.params, "min_at_risk": MIN_AT_RISK},
        ).df()
    finally:
        cur.close()


def arrival_breaches(
    con: duckdb.DuckDBPyConnection, results: str, as_of: datetime, end: datetime, weeks: int, filters: Filters,
) -> dict[str, float]:
    """Per tier, the clocks expected to be opened in (as_of, end] and breach by `end`: the average over the
    `weeks` past weeks of the clocks of `results` created in the same window of that week and breached before its
    end (due in it, and not stopped by their due time)."""
    if weeks < 1:
        return {}
    where = filtered(filters, columns={name: f"h.{column}" for name, column in FILTER_COLUMNS.items()})
    rows = con.cursor().execute(
        f"""
        SELECT h.tier, count(*) / $weeks AS expected
        FROM {quote_ident(results)} h
        JOIN (SELECT unnest(range(1, $weeks + 1)) AS k) w
          ON h.created_at > $as_of - to_days(CAST(7 * w.k AS INTEGER))
         AND h.created_at <= $end - to_days(CAST(7 * w.k AS INTEGER))
         AND h.due_at <= $end - to_days(CAST(7 * w.k AS INTEGER))
        WHERE h.state <> 'untimed' AND (h.stopped_at IS NULL OR h.stopped_at > h.due_at) AND {where.sql}
        GROUP BY h.tier
        """,
        {**where.params, "as_of": as_of, "end": end, "weeks": weeks},
    ).fetchall()
    return {str(tier): float(expected) for tier, expected in rows}


def breach_distribution(chances: np.ndarray, rate: float) -> np.ndarray:
    """P(count = k), k = 0.., of a sum of independent Bernoullis (`chances`) and a Poisson(`rate`): exact up to
    rounding, by the characteristic function sampled at M points and one FFT (see the module docstring)."""
    chances = np.clip(np.asarray(chances, dtype=float), 0.0, 1.0)
    mean = float(chances.sum()) + rate
    spread = math.sqrt(float((chances * (1 - chances)).sum()) + rate)
    size = int(math.ceil(mean + 12 * spread + 30))
    z = np.exp(2j * np.pi * np.arange(size) / size)
    cf = np.exp(rate * (z - 1))
    for block in range(0, len(chances), 2048):  # blocks of clocks bound the memory, not a loop over tickets
        part = chances[block:block + 2048, None]
        cf = cf * np.prod(1 - part + part * z[None, :], axis=0)
    pmf = np.clip(np.fft.fft(cf).real / size, 0.0, None)
    return pmf / pmf.sum()


def interval(pmf: np.ndarray, level: float) -> tuple[int, int, float]:
    """(low, high, mass): the run of counts grown from the most likely one, adding the likelier neighbour each
    step, stopped where its mass is nearest `level` (of the run just short of it and the first to reach it, the
    nearer; the longer on a tie).

    Why not "the shortest run holding at least `level`": with the few breaches of a shift, one count can hold
    most of the mass (P(0) = 0.9 for a quiet tier), and such a run would hold 97 % where 80 % was asked; the
    nearest run's mass is reported with it and the backtest measures what it covers.
    """
    low = high = int(np.argmax(pmf))
    mass = float(pmf[low])
    before = (low, high, mass)
    while mass < level and (low > 0 or high < len(pmf) - 1):
        before = (low, high, mass)
        left = pmf[low - 1] if low > 0 else -1.0
        right = pmf[high + 1] if high < len(pmf) - 1 else -1.0
        if right >= left:
            high += 1
            mass += float(pmf[high])
        else:
            low -= 1
            mass += float(pmf[low])
    if mass >= level and level - before[2] < mass - level:
        return before
    return low, high, min(mass, 1.0)


def forecast_tiers(policy: Policy, filters: Filters) -> list[str]:
    """The tiers a forecast speaks of: those the policy times on some metric, narrowed by the tier filter."""
    segments = [None, *policy.segments]
    timed = [tier for tier in TIERS if tier in policy.tiers and any(
        policy.targets_for(tier, segment).target(metric)[1] is not None for segment in segments for metric in METRICS)]
    return [tier for tier in timed if filters.tier in (None, tier)]


def forecast(
    con: duckdb.DuckDBPyConnection,
    policy: Policy,
    history: History,
    live: str,
    as_of: datetime,
    end: datetime,
    filters: Filters,
    *,
    results: str = "sla_results",
) -> list[TierForecast]:
    """The clocks expected to breach in (as_of, end], per tier: `live` holds the clocks judged at `as_of` (the
    queue's `live_results`), `history` what `learn` found in `results` (the judged history)."""
    if not as_of < end <= as_of + LONGEST_SHIFT:
        raise ValueError("the shift must end after now and at most 7 days later")
    chances = running_chances(con, history, live, as_of, end, filters)
    weeks = min(ARRIVAL_WEEKS, history.weeks(as_of))
    arriving = arrival_breaches(con, results, as_of, end, weeks, filters)
    out = []
    for tier in forecast_tiers(policy, filters):
        mine = chances.loc[chances["tier"] == tier, "chance"].to_numpy(dtype=float)
        reason = history.too_small(tier, as_of)
        if reason:
            out.append(TierForecast(tier, None, None, None, None, 0.0, 0.0, len(mine), reason))
            continue
        rate = arriving.get(tier, 0.0)
        low, high, mass = interval(breach_distribution(mine, rate), policy.forecast.interval)
        out.append(TierForecast(tier, float(mine.sum()) + rate, low, high, mass, float(mine.sum()), rate, len(mine)))
    return out


__all__ = [
    "ARRIVAL_WEEKS",
    "History",
    "LONGEST_SHIFT",
    "MIN_AT_RISK",
    "MIN_STOPPED",
    "MIN_WEEKS",
    "STALE_WEEKS",
    "TierForecast",
    "arrival_breaches",
    "breach_distribution",
    "forecast",
    "forecast_tiers",
    "interval",
    "learn",
    "running_chances",
]
