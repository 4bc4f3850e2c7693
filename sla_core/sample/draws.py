"""The sample's tickets and events, drawn in bulk with numpy: a realistic year of support work.

Why: the app, the tests and the benchmark need data that exercises every rule
(business hours, pauses, reopens, tier changes, handoffs, empty impacts,
rubric disagreements, a live queue at the end) without shipping anyone's real
tickets. Every column is drawn with numpy over whole arrays, so a million
tickets take seconds; there is no loop over tickets.

The simulated team works 09:00-18:00 Mon-Fri in the given timezone with GB
public holidays, so acknowledgements mostly meet the default policy
(sample_data/policy.yaml) and sometimes breach. Nothing happens at or after
`end` (the data horizon): later timestamps and events are cut off, which
leaves running, paused and breached clocks at the end.

"""

from __future__ import annotations

from datetime import date, datetime
from typing import Optional, Union
from zoneinfo import ZoneInfo

import holidays
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sla_core.columns import TICKET_COLUMNS
from sla_core.vocab import DISCIPLINES, EVENT_FIELDS, FIRST_SEEN_BY, SEVERITIES, STATUSES, TIERS

DEFAULT_START = "2025-12-01"
DEFAULT_END = "2026-11-26T12:00"
DEFAULT_TIMEZONE = "Europe/London"
When = Union[str, date, datetime]

HOUR = 3600.0
DAY = 86400.0
# Tier codes index these arrays: 0 critical, 1 high, 2 medium, 3 low (schema.TIERS order).
TIER_MIX = np.array([0.05, 0.20, 0.45, 0.30])
SEGMENTS = ("enterprise", "self_serve", "mid_market")
SEGMENT_MIX = np.array([0.35, 0.58, 0.07])
MONITORING_SHARE = np.array([0.50, 0.25, 0.08, 0.02])
# Rubric inputs per tier: the severity mix, log10 of customers affected, and booleans.
SEVERITY_MIX = {
    "critical": {"outage": 0.45, "data_loss": 0.20, "security": 0.20, "blocked": 0.10, "partial": 0.05},
    "high": {"blocked": 0.50, "outage": 0.22, "partial": 0.20, "security": 0.03, "data_loss": 0.02, "cosmetic": 0.03},
    "medium": {"partial": 0.50, "blocked": 0.25, "cosmetic": 0.12, "question": 0.05, "outage": 0.08},
    "low": {"question": 0.45, "cosmetic": 0.35, "partial": 0.20},
}
CUSTOMERS_LOG10 = np.array([[3.4, 0.5], [2.6, 0.5], [1.7, 0.5], [0.2, 0.5]])
REGULATORY_P = np.array([0.35, 0.08, 0.03, 0.01])
WORKAROUND_P = np.array([0.05, 0.15, 0.20, 0.80])
RUBRIC_DISAGREE_P = 0.10  # inputs drawn for a neighbouring tier: the calibration signal
EMPTY_IMPACT_P = 0.10  # impact left empty: the rubric must tier these
NO_INPUTS_P = 0.05  # impact set, no rubric inputs at all
NO_CUSTOMERS_P = 0.10  # impact set, customers_affected unknown
# Acknowledge targets the team aims at (default policy), as (seconds, business calendar?).
ACK_TARGET = np.array([30 * 60, 2 * HOUR, 8 * HOUR, 24 * HOUR])
ENTERPRISE_MEDIUM_ACK = 4 * HOUR
ACK_BUSINESS = np.array([False, True, True, True])
ACK_RATIO = (0.35, 0.75)  # median share of the target used, log-sd: about 8% breach
ACTION_PLAN_TARGET = np.array([2 * HOUR, 24 * HOUR])  # critical 24x7, high business
ACTION_PLAN_RATIO = (0.35, 0.75)
# The last days before the horizon carry a backlog: some tickets answered 1.5-5x slower, more of them waiting
# on someone and for longer, so the queue at the horizon holds at-risk, breached and paused clocks on any day.
BACKLOG_DAYS, BACKLOG_P, BACKLOG_SLOWDOWN = 14, 0.30, (1.5, 5.0)
BACKLOG_PAUSE_P, BACKLOG_PAUSE_LONGER = 0.6, 3.0
# Work after the acknowledgement until the first resolution (wall clock): median, log-sd.
WORK = np.array([[4 * HOUR, 0.9], [30 * HOUR, 0.9], [3.5 * DAY, 0.9], [8 * DAY, 1.0]])
PAUSE_P = np.array([0.10, 0.28, 0.35, 0.32])
THIRD_PARTY_SHARE = np.array([0.50, 0.30, 0.15, 0.07])
REOPEN_P = np.array([0.04, 0.07, 0.07, 0.05])
SECOND_REOPEN_P = 0.15
TIER_CHANGE_P = 0.04
ENGINEERING_P = np.array([0.75, 0.45, 0.25, 0.10])
PRODUCT_P = np.array([0.05, 0.10, 0.15, 0.15])
VIA_PRODUCT_P = 0.15  # engineering tickets that went support -> product -> engineering
CLOSED_P = 0.10
CSAT_P = 0.80
# Local hour-of-day and weekday arrival profile for customer-raised tickets.
HOUR_PROFILE = np.array(
    [0.15, 0.12, 0.1, 0.1, 0.1, 0.15, 0.25, 0.45, 0.9, 1.6, 1.7, 1.6, 1.2, 1.5, 1.6, 1.5, 1.4, 1.1, 0.6, 0.4, 0.35, 0.3, 0.25, 0.2]
)
WEEKDAY_PROFILE = np.array([1.1, 1.05, 1.0, 1.0, 0.9, 0.22, 0.18])
HOLIDAY_FACTOR = 0.3
WORK_HOURS = (9, 18)  # the simulated team's local working day, Mon-Fri

REPRO_STEPS = (
    "1. Sign in 2. Open Reports 3. Export to CSV -> HTTP 500",
    "1. Upload a CSV over 10 MB 2. Import spinner never finishes",
    "POST /v2/orders with an empty cart returns 502",
    "Open any invoice PDF in Safari 17: blank page",
    "Nightly sync stops at step 3 of 5 since the last release",
    "1. Invite a user 2. Accept on mobile 3. Lands on 404",
)
ENVIRONMENTS = (
    "production eu-west-1",
    "production us-east-1",
    "staging",
    "iOS app 18.2",
    "Chrome 131 on Windows 11",
    "on-prem 4.2.1",
)
LOGS = (
    "https://logs.example.com/q/1f3a9c",
    "https://logs.example.com/q/77b201",
    "trace id 4bf92f3577b34da6",
    "attached: api-gateway.log (2 MB)",
    "https://logs.example.com/q/e0d413",
)
IMPACTED = (
    "acme-corp",
    "globex; initech",
    "umbrella; acme-corp; +12 more",
    "all EU tenants",
    "hooli",
    "wayne-ent; stark-ind",
)
TRIAGE_PRESENT_P = (0.35, 0.85)  # (other owners, engineering)

# Event values share one dictionary: statuses, then tiers, then owner teams.
_VALUES = STATUSES + TIERS + DISCIPLINES
_S = {s: i for i, s in enumerate(STATUSES)}
_TIER_BASE = len(STATUSES)
_TEAM_BASE = len(STATUSES) + len(TIERS)
_FIELD = {f: i for i, f in enumerate(EVENT_FIELDS)}


def moment(value: When, zone: ZoneInfo) -> float:
    """A date (midnight), naive datetime (local) or aware datetime -> epoch seconds."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.timestamp()


class _Clock:
    """An hourly grid of the team's working hours: cumulative open seconds make
    'add N business seconds' a searchsorted instead of a walk over days."""

    def __init__(self, first: float, last: float, zone: ZoneInfo) -> None:
        self.t0 = np.floor(first / HOUR) * HOUR
        hours = int(np.ceil((last - self.t0) / HOUR)) + 1
        self.starts = self.t0 + HOUR * np.arange(hours)
        # One local conversion per grid hour (thousands, not per ticket).
        local = [datetime.fromtimestamp(t, zone) for t in self.starts.tolist()]
        years = range(local[0].year, local[-1].year + 1)
        gb = holidays.country_holidays("GB", years=years)
        self.hour = np.array([d.hour for d in local])
        self.weekday = np.array([d.weekday() for d in local])
        self.holiday = np.array([d.date() in gb for d in local])
        self.open = (self.weekday < 5) & ~self.holiday & (self.hour >= WORK_HOURS[0]) & (self.hour < WORK_HOURS[1])
        self.cum = np.concatenate([[0.0], np.cumsum(self.open * HOUR)])

    def position(self, t: np.ndarray) -> np.ndarray:
        """Open seconds from the grid start to t."""
        i = np.clip(((t - self.t0) // HOUR).astype(np.int64), 0, len(self.starts) - 1)
        return self.cum[i] + self.open[i] * np.clip(t - self.starts[i], 0, HOUR)

    def add(self, t: np.ndarray, seconds: np.ndarray) -> np.ndarray:
        """The instant `seconds` of open time after t (at a closing, not the next opening)."""
        target = self.position(t) + seconds
        j = np.clip(np.searchsorted(self.cum, target, side="left") - 1, 0, len(self.starts) - 1)
        beyond = np.maximum(target - self.cum[-1], 0)  # past the grid: count real time
        return np.maximum(self.starts[j] + np.minimum(target - self.cum[j], HOUR) + beyond, t)


def _lognormal(rng: np.random.Generator, median: Union[float, np.ndarray], sigma: Union[float, np.ndarray], size: int) -> np.ndarray:
    return median * np.exp(sigma * rng.standard_normal(size))


def _choice_by_tier(rng: np.random.Generator, tier: np.ndarray, mix: dict[str, dict[str, float]], names: tuple[str, ...]) -> np.ndarray:
    """Per-row categorical draw whose probabilities depend on the row's tier (inverse CDF, vectorized)."""
    table = np.zeros((len(TIERS), len(names)))
    for t, tier_name in enumerate(TIERS):
        for name, p in mix[tier_name].items():
            table[t, names.index(name)] = p
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(tier))
    return np.minimum((u[:, None] > cdf[tier]).sum(axis=1), len(names) - 1)


def _ts(seconds: np.ndarray, valid: Optional[np.ndarray] = None) -> pa.Array:
    """Epoch seconds (NaN = none) -> a UTC timestamp array, whole seconds."""
    if valid is None:
        valid = ~np.isnan(seconds)
    values = np.floor(np.where(valid, np.nan_to_num(seconds), 0)).astype(np.int64)
    return pa.array(values, type=pa.timestamp("s", tz="UTC"), mask=~valid)


def _pick(vocab: tuple[str, ...], index: np.ndarray, valid: Optional[np.ndarray] = None) -> pa.Array:
    """Codes -> dictionary-encoded strings (no per-row Python objects; readers see plain text)."""
    indices = pa.array(index.astype(np.int32), mask=None if valid is None else ~valid)
    return pa.DictionaryArray.from_arrays(indices, pa.array(vocab))


Draws = dict[str, np.ndarray]  # one array per attribute, one element per ticket


def _who_and_what(rng: np.random.Generator, n: int) -> Draws:
    """Tier, segment, source and rubric inputs; some inputs drawn for a neighbouring tier, some left empty."""
    d: Draws = {"tier": rng.choice(len(TIERS), size=n, p=TIER_MIX)}
    d["segment"] = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_MIX)
    d["monitoring"] = rng.random(n) < MONITORING_SHARE[d["tier"]]
    shift = np.where(rng.random(n) < 0.5, -1, 1)
    inputs_from = np.where(rng.random(n) < RUBRIC_DISAGREE_P, np.clip(d["tier"] + shift, 0, 3), d["tier"])
    d["severity"] = _choice_by_tier(rng, inputs_from, SEVERITY_MIX, SEVERITIES)
    mu, sd = CUSTOMERS_LOG10[inputs_from, 0], CUSTOMERS_LOG10[inputs_from, 1]
    d["customers"] = np.maximum(np.floor(10 ** (mu + sd * rng.standard_normal(n)) - 0.5), 0).astype(np.int64)
    d["regulatory"] = (rng.random(n) < REGULATORY_P[inputs_from]) | (d["severity"] == SEVERITIES.index("security"))
    d["workaround"] = rng.random(n) < WORKAROUND_P[inputs_from]
    d["empty_impact"] = rng.random(n) < EMPTY_IMPACT_P
    roll = rng.random(n)
    d["no_inputs"] = ~d["empty_impact"] & (roll < NO_INPUTS_P)
    d["no_customers"] = ~d["empty_impact"] & (roll >= NO_INPUTS_P) & (roll < NO_INPUTS_P + NO_CUSTOMERS_P)
    return d


def _arrivals(rng: np.random.Generator, clock: _Clock, monitoring: np.ndarray, t_start: float, horizon: float) -> np.ndarray:
    """Creation instants: customers write in working hours, monitoring fires around the clock."""
    n = len(monitoring)
    in_range = (clock.starts >= np.floor(t_start / HOUR) * HOUR) & (clock.starts < horizon)
    weight = HOUR_PROFILE[clock.hour] * WEEKDAY_PROFILE[clock.weekday] * np.where(clock.holiday, HOLIDAY_FACTOR, 1.0)
    busy = rng.choice(len(clock.starts), size=n, p=np.where(in_range, weight, 0) / weight[in_range].sum())
    flat = rng.choice(len(clock.starts), size=n, p=in_range / in_range.sum())
    created = np.floor(clock.starts[np.where(monitoring, flat, busy)] + rng.random(n) * HOUR)
    return np.clip(created, t_start, horizon - 1)


def _detection(rng: np.random.Generator, d: Draws) -> None:
    """started_at/detected_at for incidents: monitoring alerts within minutes, customers notice later."""
    n, created, monitoring = len(d["tier"]), d["created"], d["monitoring"]
    serious = [SEVERITIES.index(s) for s in ("outage", "data_loss", "security")]
    d["incident"] = (d["tier"] <= 1) | np.isin(d["severity"], serious)
    d["detected"] = np.where(monitoring, created - _lognormal(rng, 4 * 60.0, 0.6, n), created)
    delay = np.where(monitoring, _lognormal(rng, 3 * 60.0, 0.7, n), _lognormal(rng, 50 * 60.0, 0.9, n))
    d["started"] = d["detected"] - delay


def _handling(rng: np.random.Generator, d: Draws, clock: _Clock, horizon: float) -> None:
    """The story of each ticket in wall-clock instants, before the horizon cuts it off."""
    n, tier, created = len(d["tier"]), d["tier"], d["created"]
    # Acknowledge against the target the team works to; the last days before the horizon carry a backlog.
    ack_target = np.where((tier == 2) & (d["segment"] == 0), ENTERPRISE_MEDIUM_ACK, ACK_TARGET[tier])
    backlog = created > horizon - BACKLOG_DAYS * DAY
    slowdown = np.where(backlog & (rng.random(n) < BACKLOG_P), rng.uniform(*BACKLOG_SLOWDOWN, n), 1.0)
    d["ack_ratio"] = _lognormal(rng, ACK_RATIO[0], ACK_RATIO[1], n) * slowdown
    used = d["ack_ratio"] * ack_target
    ack = d["ack"] = np.where(ACK_BUSINESS[tier], clock.add(created, used), created + used)

    # Work after the acknowledgement, at most one pause, then resolution and reopens.
    work = d["work"] = _lognormal(rng, WORK[tier, 0], WORK[tier, 1], n) * slowdown
    d["paused"] = rng.random(n) < np.where(backlog, np.maximum(PAUSE_P[tier], BACKLOG_PAUSE_P), PAUSE_P[tier])
    d["third_party"] = rng.random(n) < THIRD_PARTY_SHARE[tier]
    longer = np.where(backlog, BACKLOG_PAUSE_LONGER, 1.0)
    pause_len = d["pause_len"] = np.where(d["paused"], _lognormal(rng, 20 * HOUR, 1.0, n) * longer, 0.0)
    pause_at = rng.uniform(0.1, 0.7, n) * work

    def wall(work_offset: np.ndarray) -> np.ndarray:
        """Work done since the acknowledgement -> wall-clock instant (the pause included once passed)."""
        return ack + work_offset + np.where(work_offset > pause_at, pause_len, 0.0)

    d["pause_start"] = wall(pause_at)
    d["res1"] = ack + work + pause_len
    reopens = d["reopens"] = (rng.random(n) < REOPEN_P[tier]).astype(np.int64)
    reopens += (reopens == 1) & (rng.random(n) < SECOND_REOPEN_P)
    d["open2"] = d["res1"] + _lognormal(rng, 2 * DAY, 0.8, n)
    d["res2"] = d["open2"] + _lognormal(rng, 1.0, 0.6, n) * work / 3
    d["open3"] = d["res2"] + _lognormal(rng, 2 * DAY, 0.8, n)
    d["res3"] = d["open3"] + _lognormal(rng, 1.0, 0.6, n) * work / 3
    final = np.select([reopens == 0, reopens == 1], [d["res1"], d["res2"]], d["res3"])
    d["closed"] = rng.random(n) < CLOSED_P
    d["closed_at"] = final + _lognormal(rng, 4 * DAY, 0.3, n)

    # Owners and handoffs: support takes every ticket first.
    roll = rng.random(n)
    eng, prod = ENGINEERING_P[tier], PRODUCT_P[tier]
    d["team"] = np.where(roll < eng, 2, np.where(roll < eng + prod, 1, 0))
    d["via_product"] = (d["team"] == 2) & (rng.random(n) < VIA_PRODUCT_P)
    d["hand1"] = wall(rng.uniform(0.02, 0.2, n) * work)
    d["hand2"] = wall(rng.uniform(0.25, 0.5, n) * work)

    # Tier changes, up or down, before or after the acknowledgement.
    d["tier_change"] = ~d["empty_impact"] & (rng.random(n) < TIER_CHANGE_P)
    up = np.where(tier == 0, False, np.where(tier == 3, True, rng.random(n) < 0.5))
    d["new_tier"] = np.where(up, tier - 1, tier + 1)
    early = rng.random(n) < 0.3
    d["change_at"] = np.where(early, created + rng.random(n) * (ack - created), wall(rng.uniform(0.0, 0.6, n) * work))

    # Action plans for critical and high work, including tickets raised into those tiers.
    raised = d["tier_change"] & up & (d["new_tier"] <= 1)
    d["plan_tier"] = np.where(raised, d["new_tier"], tier)
    plan_from = np.where(raised, d["change_at"], created)
    d["plan_ratio"] = _lognormal(rng, ACTION_PLAN_RATIO[0], ACTION_PLAN_RATIO[1], n)
    used = d["plan_ratio"] * ACTION_PLAN_TARGET[np.minimum(d["plan_tier"], 1)]
    planned = np.where(d["plan_tier"] == 0, plan_from + used, clock.add(plan_from, used))
    d["plan"] = np.clip(planned, ack, d["res1"])


def _event_arrays(d: Draws, t_start: float, horizon: float) -> tuple[np.ndarray, ...]:
    """(ticket index, instant, field code, value code) per event, ordered by ticket, instant, kind.

    Each kind of event is one masked array; cutting at the horizon keeps a prefix of
    each ticket's story. A ticket is `new` from created_at until its first status
    event, so creation needs no event.
    """
    n, status = len(d["tier"]), _FIELD["status"]
    everyone = np.ones(n, bool)
    waiting = np.where(d["third_party"], _S["waiting_on_third_party"], _S["waiting_on_customer"])
    kinds: list[tuple[np.ndarray, np.ndarray, int, Union[int, np.ndarray]]] = [
        (everyone, d["ack"], status, _S["open"]),
        (d["paused"], d["pause_start"], status, waiting),
        (d["paused"], d["pause_start"] + d["pause_len"], status, _S["open"]),
        (everyone, d["res1"], status, _S["resolved"]),
        (d["reopens"] >= 1, d["open2"], status, _S["open"]),
        (d["reopens"] >= 1, d["res2"], status, _S["resolved"]),
        (d["reopens"] >= 2, d["open3"], status, _S["open"]),
        (d["reopens"] >= 2, d["res3"], status, _S["resolved"]),
        (d["closed"], d["closed_at"], status, _S["closed"]),
        (d["tier_change"], d["change_at"], _FIELD["impact"], _TIER_BASE + d["new_tier"]),
        (d["via_product"], d["hand1"], _FIELD["owner_team"], _TEAM_BASE + 1),
        (d["team"] > 0, np.where(d["via_product"], d["hand2"], d["hand1"]), _FIELD["owner_team"], _TEAM_BASE + d["team"]),
    ]
    parts: list[tuple[np.ndarray, ...]] = []
    for number, (mask, when, code, value) in enumerate(kinds):
        idx = np.nonzero(mask & (when < horizon))[0]
        parts.append((idx, np.floor(when[idx]), np.full(len(idx), number, np.int64), np.full(len(idx), code),
                      np.broadcast_to(value, n)[idx]))
    ticket, at, kind, field, value = (np.concatenate(column) for column in zip(*parts))
    # One int64 key (ticket, instant, kind) sorts faster than a three-key lexsort.
    order = np.argsort((ticket.astype(np.int64) << 36) | ((at - t_start + DAY).astype(np.int64) << 4) | kind)
    return ticket[order], at[order], field[order], value[order]


def _ticket_columns(rng: np.random.Generator, d: Draws, horizon: float, ticket_id: pa.Array) -> dict[str, pa.Array]:
    """The flat columns as they stood at the horizon."""
    n, tier = len(d["tier"]), d["tier"]

    def live(t: np.ndarray) -> np.ndarray:
        return np.where(t < horizon, np.floor(t), np.nan)

    reopens = d["reopens"]
    reopen_count = ((reopens >= 1) & (d["open2"] < horizon)).astype(np.int64) + ((reopens >= 2) & (d["open3"] < horizon))
    resolved_at = live(np.select([reopen_count == 0, reopen_count == 1], [d["res1"], d["res2"]], d["res3"]))
    plan_at = np.where(d["plan_tier"] <= 1, live(d["plan"]), np.nan)

    # Satisfaction: lower after critical incidents, breaches and reopens.
    worked = (d["ack"] - d["created"]) + d["work"]
    worked += np.where(reopens >= 1, d["res2"] - d["open2"], 0) + np.where(reopens >= 2, d["res3"] - d["open3"], 0)
    breached = (d["ack_ratio"] > 1) | ((d["plan_tier"] <= 1) & (d["plan_ratio"] > 1)) | ((tier == 2) & (worked > 14 * DAY))
    mood = 4.4 - 0.7 * (tier == 0) - 0.2 * (tier == 1) - 1.0 * breached - 0.6 * (reopen_count > 0)
    csat = np.clip(np.round(mood + 0.8 * rng.standard_normal(n)), 1, 5).astype(np.int32)
    has_csat = ~np.isnan(resolved_at) & (rng.random(n) < CSAT_P)

    # Triage fields: engineering handoffs arrive better documented.
    present_p = np.where(d["team"] == 2, TRIAGE_PRESENT_P[1], TRIAGE_PRESENT_P[0])
    triage = {
        name: _pick(vocab, rng.integers(0, len(vocab), n), rng.random(n) < present_p)
        for name, vocab in (("repro_steps", REPRO_STEPS), ("environment", ENVIRONMENTS), ("logs", LOGS), ("impacted_customers", IMPACTED))
    }

    # Tags: impact (or needs-triage), then requires-engineering, security, regulatory where they apply.
    flags = ("requires-engineering", "security", "regulatory")
    tag_vocab = tuple(
        ",".join([f"impact:{t}" if t else "needs-triage"] + [f for bit, f in enumerate(flags) if combo >> (2 - bit) & 1])
        for t in TIERS + (None,)
        for combo in range(8)
    )
    security = d["severity"] == SEVERITIES.index("security")
    tag_code = np.where(d["empty_impact"], len(TIERS), tier) * 8 + (d["team"] == 2) * 4 + security * 2 + d["regulatory"]

    has_inputs = ~d["no_inputs"]
    columns = {
        "ticket_id": ticket_id,
        "created_at": _ts(d["created"]),
        "impact": _pick(TIERS, tier, ~d["empty_impact"]),
        "segment": _pick(SEGMENTS, d["segment"]),
        "customers_affected": pa.array(d["customers"], mask=~has_inputs | d["no_customers"]),
        "severity": _pick(SEVERITIES, d["severity"], has_inputs),
        "regulatory": pa.array(d["regulatory"], mask=~has_inputs),
        "workaround": pa.array(d["workaround"], mask=~has_inputs),
        "owner_team": _pick(DISCIPLINES, d["team"]),
        "source": _pick(FIRST_SEEN_BY, d["monitoring"].astype(np.int64)),
        "detected_at": _ts(d["detected"], d["incident"]),
        "started_at": _ts(d["started"], d["incident"]),
        "acknowledged_at": _ts(live(d["ack"])),
        "action_plan_at": _ts(plan_at),
        "resolved_at": _ts(resolved_at),
        "reopen_count": pa.array(reopen_count.astype(np.int32)),
        "csat": pa.array(csat, mask=~has_csat),
        **triage,
        "tags": _pick(tag_vocab, tag_code),
        **_accounts_and_incidents(rng, d, ticket_id),  # drawn last: the columns above keep their draws
        "unmeasured": pa.nulls(n, pa.string()),  # every stop column is in the data: every metric is measured
    }
    if list(columns) != list(TICKET_COLUMNS):
        raise RuntimeError("sample columns drifted from schema.TICKET_COLUMNS")
    return columns


# Customer accounts per segment (enterprise, self_serve, mid_market) and their spelling; a few file most tickets.
ACCOUNTS = np.array([30, 300, 40])
ACCOUNT_PREFIX = ("ent", "ss", "mid")
# Customer-first incidents whose alert fired later anyway; customer tickets joining a monitoring incident that
# began within JOIN_HOURS before them.
LATE_ALERT_P, JOIN_P, JOIN_HOURS = 0.35, 0.6, 6.0


def _accounts_and_incidents(rng: np.random.Generator, d: Draws, ticket_id: pa.Array) -> dict[str, pa.Array]:
    """`account` (Zipf-like within the segment) and `incident_ref`: every monitoring incident and some
    customer-first ones are incidents of record ("INC-<ticket number>"), and customer tickets raised soon
    after a monitoring incident join it, so incidents group several tickets."""
    n = len(d["tier"])
    size = ACCOUNTS[d["segment"]]
    rank = np.minimum(np.floor(size * rng.random(n) ** 2.2), size - 1).astype(np.int64)
    names = tuple(f"{prefix}-{k:03d}" for prefix, count in zip(ACCOUNT_PREFIX, ACCOUNTS) for k in range(count))
    offset = np.concatenate([[0], np.cumsum(ACCOUNTS)[:-1]])[d["segment"]]
    account = _pick(names, offset + rank)

    numbers = pc.utf8_slice_codeunits(ticket_id, 2)  # "T-000123" -> "000123"
    own_ref = pc.binary_join_element_wise("INC-", numbers, "")
    incident, monitoring = d["incident"], d["monitoring"]
    of_record = incident & (monitoring | (rng.random(n) < LATE_ALERT_P))
    origins = np.nonzero(incident & monitoring)[0]  # tickets are in creation order
    latest = np.searchsorted(d["created"][origins], d["created"], side="right") - 1
    origin = origins[np.maximum(latest, 0)]
    joins = (~of_record & (d["tier"] <= 2) & (latest >= 0) & (rng.random(n) < JOIN_P)
             & (d["created"] - d["created"][origin] < JOIN_HOURS * HOUR))
    ref_of = np.where(joins, origin, np.arange(n))
    refs = pc.take(own_ref, pa.array(ref_of))
    return {"account": account, "incident_ref": pc.if_else(pa.array(of_record | joins), refs, pa.nulls(n, pa.string()))}


def generate(
    n: int,
    seed: int = 7,
    start: When = DEFAULT_START,
    end: When = DEFAULT_END,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    cut: Optional[When] = None,
) -> tuple[pa.Table, pa.Table]:
    """(tickets, events) as Arrow tables in the canonical columns; same arguments, same tables.

    Tickets are drawn in [start, end); `end` is the data horizon (nothing happens
    at or after it). `cut` (at most `end`) shows the same draws as they stood at
    an earlier instant: tickets created from it on are left out and later stamps
    and events are not known yet, so the live sample keeps its tickets all day
    while its "now" moves. Text columns are dictionary-encoded strings.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    zone = ZoneInfo(timezone)
    t_start, horizon = moment(start, zone), moment(end, zone)
    if horizon <= t_start:
        raise ValueError(f"end {end} must be after start {start}")
    visible = horizon if cut is None else min(moment(cut, zone), horizon)
    rng = np.random.default_rng(seed)
    clock = _Clock(t_start - 2 * DAY, horizon + 400 * DAY, zone)

    d = _who_and_what(rng, n)
    created = _arrivals(rng, clock, d["monitoring"], t_start, horizon)
    order = np.argsort(created, kind="stable")  # ticket ids follow creation time
    d = {name: values[order] for name, values in d.items()}
    d["created"] = created[order]
    _detection(rng, d)
    _handling(rng, d, clock, horizon)

    width = max(6, len(str(n)))
    digits = pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0")
    ticket_id = pc.binary_join_element_wise("T-", digits, "")
    e_ticket, e_at, e_field, e_value = _event_arrays(d, t_start, visible)
    events = pa.table(
        {
            "ticket_id": ticket_id.take(pa.array(e_ticket)),
            "at": _ts(e_at),
            "field": _pick(EVENT_FIELDS, e_field),
            "value": _pick(_VALUES, e_value),
        }
    )
    del e_ticket, e_at, e_field, e_value
    tickets = pa.table(_ticket_columns(rng, d, visible, ticket_id))
    if visible < horizon:  # tickets are in creation order: the ones created by the cut are a prefix
        tickets = tickets.slice(0, int(np.searchsorted(d["created"], visible, side="left")))
    return tickets, events
