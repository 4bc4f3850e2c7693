"""Synthetic SLA Board tickets: a realistic year of support work, drawn in bulk.

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

Regenerate the committed sample (sample_data/tickets.csv and events.csv):

    python -m sla_core.sample --tickets 3000 --seed 7 --out sample_data

(the defaults are --format csv --start 2025-12-01 --end 2026-11-26T12:00
--timezone Europe/London; a date-only --end means midnight starting that day).
"""

from __future__ import annotations

import argparse
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Optional, Union
from zoneinfo import ZoneInfo

import duckdb
import holidays
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from sla_core.schema import EVENT_FIELDS, OWNER_TEAMS, SEVERITIES, STATUSES, TICKET_COLUMNS, TIERS, events_ddl, tickets_ddl
from sla_core.sqlutil import quote_ident

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
BACKLOG_DAYS, BACKLOG_P, BACKLOG_SLOWDOWN = 10, 0.15, 4.0
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
_VALUES = STATUSES + TIERS + OWNER_TEAMS
_S = {s: i for i, s in enumerate(STATUSES)}
_TIER_BASE = len(STATUSES)
_TEAM_BASE = len(STATUSES) + len(TIERS)
_FIELD = {f: i for i, f in enumerate(EVENT_FIELDS)}


def _moment(value: When, zone: ZoneInfo) -> float:
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


def _lognormal(rng: np.random.Generator, median: np.ndarray, sigma: np.ndarray, size: int) -> np.ndarray:
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


def generate(
    n: int,
    seed: int = 7,
    start: When = DEFAULT_START,
    end: When = DEFAULT_END,
    timezone: str = DEFAULT_TIMEZONE,
) -> tuple[pa.Table, pa.Table]:
    """(tickets, events) as Arrow tables in the canonical columns; same seed, same tables."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    zone = ZoneInfo(timezone)
    t_start, horizon = _moment(start, zone), _moment(end, zone)
    if horizon <= t_start:
        raise ValueError(f"end {end} must be after start {start}")
    rng = np.random.default_rng(seed)
    clock = _Clock(t_start - 2 * DAY, horizon + 400 * DAY, zone)

    # Who and what: tier, segment, source, rubric inputs.
    tier = rng.choice(len(TIERS), size=n, p=TIER_MIX)
    segment = rng.choice(len(SEGMENTS), size=n, p=SEGMENT_MIX)
    monitoring = rng.random(n) < MONITORING_SHARE[tier]
    shift = np.where(rng.random(n) < 0.5, -1, 1)
    input_tier = np.where(rng.random(n) < RUBRIC_DISAGREE_P, np.clip(tier + shift, 0, 3), tier)
    severity = _choice_by_tier(rng, input_tier, SEVERITY_MIX, SEVERITIES)
    mu, sd = CUSTOMERS_LOG10[input_tier, 0], CUSTOMERS_LOG10[input_tier, 1]
    customers = np.maximum(np.floor(10 ** (mu + sd * rng.standard_normal(n)) - 0.5), 0).astype(np.int64)
    regulatory = (rng.random(n) < REGULATORY_P[input_tier]) | (severity == SEVERITIES.index("security"))
    workaround = rng.random(n) < WORKAROUND_P[input_tier]
    empty_impact = rng.random(n) < EMPTY_IMPACT_P
    roll = rng.random(n)
    no_inputs = ~empty_impact & (roll < NO_INPUTS_P)
    no_customers = ~empty_impact & (roll >= NO_INPUTS_P) & (roll < NO_INPUTS_P + NO_CUSTOMERS_P)

    # When: customers write in working hours, monitoring fires around the clock.
    in_range = (clock.starts >= np.floor(t_start / HOUR) * HOUR) & (clock.starts < horizon)
    weight = HOUR_PROFILE[clock.hour] * WEEKDAY_PROFILE[clock.weekday] * np.where(clock.holiday, HOLIDAY_FACTOR, 1.0)
    hour_busy = rng.choice(len(clock.starts), size=n, p=np.where(in_range, weight, 0) / weight[in_range].sum())
    hour_flat = rng.choice(len(clock.starts), size=n, p=in_range / in_range.sum())
    hour_idx = np.where(monitoring, hour_flat, hour_busy)
    created = np.floor(clock.starts[hour_idx] + rng.random(n) * HOUR)
    created = np.clip(created, t_start, horizon - 1)
    order = np.argsort(created, kind="stable")  # ids follow creation time
    tier, segment, monitoring, severity, customers = tier[order], segment[order], monitoring[order], severity[order], customers[order]
    regulatory, workaround, created = regulatory[order], workaround[order], created[order]
    empty_impact, no_inputs, no_customers = empty_impact[order], no_inputs[order], no_customers[order]
    critical, high = tier == 0, tier == 1

    # Detection: monitoring alerts within minutes, customers notice later.
    incident = (tier <= 1) | np.isin(severity, [SEVERITIES.index(s) for s in ("outage", "data_loss", "security")])
    alert_to_ticket = _lognormal(rng, 4 * 60.0, 0.6, n)
    detected = np.where(monitoring, created - alert_to_ticket, created)
    detect_delay = np.where(monitoring, _lognormal(rng, 3 * 60.0, 0.7, n), _lognormal(rng, 50 * 60.0, 0.9, n))
    started = detected - detect_delay

    # Acknowledge and action plan against the targets the team works to.
    ack_target = np.where((tier == 2) & (segment == 0), ENTERPRISE_MEDIUM_ACK, ACK_TARGET[tier])
    # The last days before the horizon carry a backlog: slower answers, slower fixes.
    backlog = (created > horizon - BACKLOG_DAYS * DAY) & (rng.random(n) < BACKLOG_P)
    ack_ratio = _lognormal(rng, ACK_RATIO[0], ACK_RATIO[1], n) * np.where(backlog, BACKLOG_SLOWDOWN, 1.0)
    ack_used = ack_ratio * ack_target
    ack = np.where(ACK_BUSINESS[tier], clock.add(created, ack_used), created + ack_used)

    # Work, one optional pause, resolution, reopens.
    work = _lognormal(rng, WORK[tier, 0], WORK[tier, 1], n) * np.where(backlog, BACKLOG_SLOWDOWN, 1.0)
    paused = rng.random(n) < PAUSE_P[tier]
    third_party = rng.random(n) < THIRD_PARTY_SHARE[tier]
    pause_len = np.where(paused, _lognormal(rng, 20 * HOUR, 1.0, n), 0.0)
    pause_at_work = rng.uniform(0.1, 0.7, n) * work

    def wall(work_offset: np.ndarray) -> np.ndarray:
        """Work offset after the acknowledgement -> wall-clock instant (pause included)."""
        return ack + work_offset + np.where(work_offset > pause_at_work, pause_len, 0.0)

    res1 = ack + work + pause_len
    reopens = (rng.random(n) < REOPEN_P[tier]).astype(np.int64)
    reopens += (reopens == 1) & (rng.random(n) < SECOND_REOPEN_P)
    open2 = res1 + _lognormal(rng, 2 * DAY, 0.8, n)
    res2 = open2 + _lognormal(rng, 1.0, 0.6, n) * work / 3
    open3 = res2 + _lognormal(rng, 2 * DAY, 0.8, n)
    res3 = open3 + _lognormal(rng, 1.0, 0.6, n) * work / 3
    final_res = np.select([reopens == 0, reopens == 1], [res1, res2], res3)
    closed = rng.random(n) < CLOSED_P
    closed_at = final_res + _lognormal(rng, 4 * DAY, 0.3, n)

    # Owners and handoffs (support takes every ticket first).
    roll = rng.random(n)
    team = np.where(roll < ENGINEERING_P[tier], 2, np.where(roll < ENGINEERING_P[tier] + PRODUCT_P[tier], 1, 0))
    via_product = (team == 2) & (rng.random(n) < VIA_PRODUCT_P)
    hand1 = wall(rng.uniform(0.02, 0.2, n) * work)
    hand2 = wall(rng.uniform(0.25, 0.5, n) * work)

    # Tier changes, up or down, before or after the acknowledgement.
    tier_change = ~empty_impact & (rng.random(n) < TIER_CHANGE_P)
    up = np.where(tier == 0, False, np.where(tier == 3, True, rng.random(n) < 0.5))
    new_tier = np.where(up, tier - 1, tier + 1)
    early = rng.random(n) < 0.3
    change_at = np.where(early, created + rng.random(n) * (ack - created), wall(rng.uniform(0.0, 0.6, n) * work))

    # Action plans for critical and high work, including tickets raised into those tiers.
    raised = tier_change & up & (new_tier <= 1)
    plan_tier = np.where(raised, new_tier, tier)
    plan_from = np.where(raised, change_at, created)
    ap_ratio = _lognormal(rng, ACTION_PLAN_RATIO[0], ACTION_PLAN_RATIO[1], n)
    ap_used = ap_ratio * ACTION_PLAN_TARGET[np.minimum(plan_tier, 1)]
    ap_wall = np.where(plan_tier == 0, plan_from + ap_used, clock.add(plan_from, ap_used))
    action_plan = np.clip(ap_wall, ack, res1)

    # Events: each kind is one masked array; censoring at the horizon keeps a prefix of each story.
    # A ticket is `new` from created_at until its first status event, so creation needs no event.
    everyone = np.ones(n, bool)
    status = _FIELD["status"]
    kinds = [
        (everyone, ack, status, _S["open"]),
        (paused, wall(pause_at_work), status, np.where(third_party, _S["waiting_on_third_party"], _S["waiting_on_customer"])),
        (paused, wall(pause_at_work) + pause_len, status, _S["open"]),
        (everyone, res1, status, _S["resolved"]),
        (reopens >= 1, open2, status, _S["open"]),
        (reopens >= 1, res2, status, _S["resolved"]),
        (reopens >= 2, open3, status, _S["open"]),
        (reopens >= 2, res3, status, _S["resolved"]),
        (closed, closed_at, status, _S["closed"]),
        (tier_change, change_at, _FIELD["impact"], _TIER_BASE + new_tier),
        (via_product, hand1, _FIELD["owner_team"], _TEAM_BASE + 1),
        (team > 0, np.where(via_product, hand2, hand1), _FIELD["owner_team"], _TEAM_BASE + team),
    ]
    ev_ticket, ev_at, ev_kind, ev_field, ev_value = [], [], [], [], []
    for k, (mask, when, field, value) in enumerate(kinds):
        keep = mask & (when < horizon)
        idx = np.nonzero(keep)[0]
        ev_ticket.append(idx)
        ev_at.append(np.floor(when[idx]))
        ev_kind.append(np.full(len(idx), k, np.int8))
        ev_field.append(np.full(len(idx), field, np.int8))
        ev_value.append(np.broadcast_to(value, n)[idx])
    e_ticket, e_at, e_kind = np.concatenate(ev_ticket), np.concatenate(ev_at), np.concatenate(ev_kind)
    # One int64 sort key (ticket, instant, kind) sorts faster than a three-key lexsort.
    e_key = (e_ticket.astype(np.int64) << 36) | ((e_at - t_start + DAY).astype(np.int64) << 4) | e_kind
    e_order = np.argsort(e_key)
    e_ticket, e_at = e_ticket[e_order], e_at[e_order]
    e_field, e_value = np.concatenate(ev_field)[e_order], np.concatenate(ev_value)[e_order]
    del ev_ticket, ev_at, ev_kind, ev_field, ev_value, e_kind, e_key, e_order

    # Flat columns as they stood at the horizon.
    live = lambda t: np.where(t < horizon, np.floor(t), np.nan)  # noqa: E731
    reopen_count = ((reopens >= 1) & (open2 < horizon)).astype(np.int64) + ((reopens >= 2) & (open3 < horizon))
    last_res = np.select([reopen_count == 0, reopen_count == 1], [res1, res2], res3)
    resolved_at = live(last_res)
    acknowledged_at = live(ack)
    action_plan_at = np.where(plan_tier <= 1, live(action_plan), np.nan)

    # Satisfaction: lower after critical incidents, breaches and reopens.
    res_used = (ack - created) + work + np.where(reopens >= 1, res2 - open2, 0) + np.where(reopens >= 2, res3 - open3, 0)
    breached = (ack_ratio > 1) | ((plan_tier <= 1) & (ap_ratio > 1)) | ((tier == 2) & (res_used > 14 * DAY))
    mood = 4.4 - 0.7 * critical - 0.2 * high - 1.0 * breached - 0.6 * (reopen_count > 0)
    csat = np.clip(np.round(mood + 0.8 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    has_csat = ~np.isnan(resolved_at) & (rng.random(n) < CSAT_P)

    # Triage fields: engineering handoffs arrive better documented.
    present_p = np.where(team == 2, TRIAGE_PRESENT_P[1], TRIAGE_PRESENT_P[0])
    triage = {}
    for name, vocab in (("repro_steps", REPRO_STEPS), ("environment", ENVIRONMENTS), ("logs", LOGS), ("impacted_customers", IMPACTED)):
        triage[name] = _pick(vocab, rng.integers(0, len(vocab), n), rng.random(n) < present_p)

    # Tags: impact, plus requires-engineering / security / regulatory where they apply.
    tag_vocab = []
    for tier_name in TIERS + (None,):
        for eng in (False, True):
            for sec in (False, True):
                parts = [f"impact:{tier_name}" if tier_name else "needs-triage"]
                parts += ["requires-engineering"] * eng + ["security"] * sec
                tag_vocab.append(",".join(parts))
    impact_code = np.where(empty_impact, len(TIERS), tier)
    tag_code = impact_code * 4 + (team == 2) * 2 + (severity == SEVERITIES.index("security"))

    width = max(6, len(str(n)))
    ticket_id = pc.binary_join_element_wise("T-", pc.utf8_lpad(pc.cast(pa.array(np.arange(1, n + 1)), pa.string()), width, "0"), "")
    has_inputs = ~no_inputs
    columns = {
        "ticket_id": ticket_id,
        "created_at": _ts(created),
        "impact": _pick(TIERS, tier, ~empty_impact),
        "segment": _pick(SEGMENTS, segment),
        "customers_affected": pa.array(customers, mask=~(has_inputs & ~no_customers)),
        "severity": _pick(SEVERITIES, severity, has_inputs),
        "regulatory": pa.array(regulatory, mask=~has_inputs),
        "workaround": pa.array(workaround, mask=~has_inputs),
        "owner_team": _pick(OWNER_TEAMS, team),
        "source": _pick(("customer", "monitoring"), monitoring.astype(np.int64)),
        "detected_at": _ts(detected, incident),
        "started_at": _ts(started, incident),
        "acknowledged_at": _ts(acknowledged_at),
        "action_plan_at": _ts(action_plan_at),
        "resolved_at": _ts(resolved_at),
        "reopen_count": pa.array(reopen_count.astype(np.int32)),
        "csat": pa.array(csat.astype(np.int32), mask=~has_csat),
        **triage,
        "tags": _pick(tuple(tag_vocab), tag_code),
    }
    assert list(columns) == list(TICKET_COLUMNS)
    tickets = pa.table(columns)
    events = pa.table(
        {
            "ticket_id": ticket_id.take(pa.array(e_ticket)),
            "at": _ts(e_at),
            "field": _pick(EVENT_FIELDS, e_field),
            "value": _pick(_VALUES, e_value),
        }
    )
    return tickets, events


def write_into(
    con: duckdb.DuckDBPyConnection,
    n: int,
    seed: int = 7,
    start: When = DEFAULT_START,
    end: When = DEFAULT_END,
    timezone: str = DEFAULT_TIMEZONE,
    *,
    tickets: str = "tickets",
    events: str = "events",
) -> tuple[int, int]:
    """Generate and load typed `tickets`/`events` tables (replacing them); returns their row counts."""
    ticket_table, event_table = generate(n, seed, start, end, timezone)
    event_table = event_table.append_column("seq", pa.array(np.arange(1, event_table.num_rows + 1)))
    for name, table, ddl in ((tickets, ticket_table, tickets_ddl), (events, event_table, events_ddl)):
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")
        con.execute(ddl(quote_ident(name)))
        view = f"_sample_{name}"
        con.register(view, table)
        try:
            con.execute(f"INSERT INTO {quote_ident(name)} SELECT * FROM {quote_ident(view)}")
        finally:
            con.unregister(view)
    return ticket_table.num_rows, event_table.num_rows


def _iso_columns(table: pa.Table, timezone: str) -> pa.Table:
    """Timestamp columns -> ISO 8601 text with the local offset (`2026-06-01T10:00:00+01:00`)."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.string()))
        if pa.types.is_timestamp(field.type):
            local = table.column(i).cast(pa.timestamp("s", tz=timezone))
            text = pc.strftime(local, format="%Y-%m-%dT%H:%M:%S%z")
            text = pc.replace_substring_regex(text, pattern=r"([+-]\d\d)(\d\d)$", replacement=r"\1:\2")
            table = table.set_column(i, field.name, text)
    return table


def write_files(tickets: pa.Table, events: pa.Table, out: Union[str, Path], fmt: str = "csv", timezone: str = DEFAULT_TIMEZONE) -> list[Path]:
    """DIR/tickets.<fmt> and DIR/events.<fmt>; CSV timestamps carry their offset, Parquet keeps them typed."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"format must be csv or parquet, got {fmt!r}")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, table in (("tickets", tickets), ("events", events)):
        path = out / f"{name}.{fmt}"
        if fmt == "csv":
            pacsv.write_csv(_iso_columns(table, timezone), path, pacsv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(table, path)
        paths.append(path)
    return paths


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sla_core.sample", description="Write a synthetic ticket set.")
    parser.add_argument("--tickets", type=int, default=3000, help="number of tickets (default 3000)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--out", required=True, help="output directory")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--start", default=DEFAULT_START, help=f"first creation instant (default {DEFAULT_START})")
    parser.add_argument("--end", default=DEFAULT_END, help=f"data horizon: nothing at or after it (default {DEFAULT_END})")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, help=f"local zone of the team (default {DEFAULT_TIMEZONE})")
    args = parser.parse_args(argv)
    try:
        tickets, events = generate(args.tickets, args.seed, args.start, args.end, args.timezone)
    except (ValueError, KeyError) as err:
        parser.exit(2, f"sample: {err}\n")
    paths = write_files(tickets, events, args.out, args.format, args.timezone)
    print(f"wrote {tickets.num_rows} tickets to {paths[0]} and {events.num_rows} events to {paths[1]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
