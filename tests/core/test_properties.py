"""Property tests: the SQL engine against a slow, obviously correct minute-by-minute reference.

Every instant in these tests is on a whole minute, so counting open minutes
one by one gives exact elapsed times and due instants to compare with.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Optional
from zoneinfo import ZoneInfo

import hypothesis.strategies as st
from hypothesis import HealthCheck, given, settings

from sla_core.clocks.calendars import closed_dates
from tests.conftest import make_policy

ZONE = ZoneInfo("Europe/London")
UTC = ZoneInfo("UTC")
# Three weeks around the spring-forward change (29 Mar 2026), with a lunch break and a Saturday morning.
START = datetime(2026, 3, 16, 0, 0, tzinfo=UTC)
SPAN_MINUTES = 21 * 24 * 60
HOURS = {
    **{d: ["09:00-12:30", "13:30-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    "sat": ["10:00-13:00"],
}
HOLIDAYS = ["2026-03-25"]


def _policy(target_minutes: int):
    tiers = {
        "critical": {"calendar": "24x7", "acknowledge": "30m"},
        "high": {"calendar": "business", "acknowledge": f"{target_minutes}m", "resolution": f"{target_minutes}m"},
        "medium": {"calendar": "business", "acknowledge": "8h"},
        "low": {"calendar": "business", "acknowledge": "24h"},
    }
    return make_policy(
        calendars={"business": {"hours": HOURS, "holidays": HOLIDAYS}},
        tiers=tiers,
        pauses={"resolution": ["waiting_on_customer"]},
        segments=None,
    )


def _is_open(minute: datetime, closed: set) -> bool:
    local = minute.astimezone(ZONE)
    if local.date() in closed:
        return False
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[local.weekday()]
    hm = local.hour * 60 + local.minute
    for span in HOURS.get(day, []):
        a, b = span.split("-")
        lo = int(a[:2]) * 60 + int(a[3:])
        hi = int(b[:2]) * 60 + int(b[3:])
        if lo <= hm < hi:
            return True
    return False


class Reference:
    """Minute-by-minute clock: open and not paused minutes count."""

    def __init__(self, created: int, pauses: list[tuple[int, Optional[int]]], as_of: int, stop: Optional[int]):
        self.created, self.pauses, self.as_of, self.stop = created, pauses, as_of, stop
        cal = make_policy(calendars={"business": {"hours": HOURS, "holidays": HOLIDAYS}}).calendars["business"]
        self.closed = closed_dates(cal, START.date(), (START + timedelta(days=60)).date())

    def counts(self, m: int) -> bool:
        if not _is_open(START + timedelta(minutes=m), self.closed):
            return False
        return not any(s <= m < (e if e is not None else 10**9) for s, e in self.pauses)

    def elapsed(self, until: int) -> int:
        return sum(1 for m in range(self.created, until) if self.counts(m))

    def due(self, target: int) -> Optional[int]:
        """Earliest minute at which elapsed reaches target, pauses known so far (open ones never end)."""
        total, m = 0, self.created
        while m < self.created + 60 * 24 * 60:
            if self.counts(m):
                total += 1
                if total == target:
                    return m + 1
            m += 1
        return None


def _minute(m: int) -> datetime:
    return START + timedelta(minutes=m)


@st.composite
def scenarios(draw):
    created = draw(st.integers(0, SPAN_MINUTES // 2))
    target = draw(st.integers(1, 30 * 60))
    # Pause intervals as alternating status events after creation.
    n_pauses = draw(st.integers(0, 3))
    points = sorted(draw(st.lists(st.integers(created, created + 10 * 24 * 60), min_size=2 * n_pauses, max_size=2 * n_pauses, unique=True)))
    open_last = n_pauses > 0 and draw(st.booleans())
    pauses = [(points[2 * i], points[2 * i + 1]) for i in range(n_pauses)]
    if open_last:
        pauses[-1] = (pauses[-1][0], None)
    as_of = draw(st.integers(created, created + 12 * 24 * 60))
    stop = draw(st.one_of(st.none(), st.integers(created, created + 12 * 24 * 60)))
    return created, target, pauses, as_of, stop


def _engine_row(run_engine, created, target, pauses, as_of, stop, metric="resolution"):
    events = []
    for s, e in pauses:
        events.append(("T", _minute(s), "status", "waiting_on_customer"))
        if e is not None:
            events.append(("T", _minute(e), "status", "open"))
    row = {"ticket_id": "T", "created_at": _minute(created), "impact": "high"}
    if stop is not None:
        row["resolved_at"] = _minute(stop)
        row["acknowledged_at"] = _minute(stop)
    return run_engine([row], events, policy=_policy(target), as_of=_minute(as_of))[("T", metric)]


def _known_pauses(pauses, until):
    """The pauses as the engine sees them at `until`: later starts unknown, later ends still open."""
    known = []
    for s, e in pauses:
        if s > until:
            continue
        known.append((s, e if e is not None and e <= until else None))
    return known


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(scenarios())
def test_engine_matches_minute_reference(run_engine, scenario):
    created, target, pauses, as_of, stop = scenario
    got = _engine_row(run_engine, *scenario)
    stopped = stop is not None and stop <= as_of
    end = stop if stopped else as_of
    ref = Reference(created, _known_pauses(pauses, end), as_of, stop)
    assert got["elapsed_seconds"] == 60 * ref.elapsed(end)
    if stopped:
        # After the stop nothing more is known: the reference extends the clock with no new pause.
        ref_after = Reference(created, [(s, min(e, stop) if e is not None else stop) for s, e in _known_pauses(pauses, stop)], as_of, stop)
        due = ref_after.due(target)
        assert got["due_at"] == _minute(due)
        assert got["state"] == ("met" if stop <= due else "breached")
    else:
        due = ref.due(target)
        assert got["due_at"] == (None if due is None else _minute(due))
        paused_now = any(e is None for s, e in ref.pauses)
        elapsed = ref.elapsed(as_of)
        if due is not None and as_of > due:
            expected = "breached"
        elif paused_now:
            expected = "paused"
        elif elapsed >= 0.75 * target:
            expected = "at_risk"
        else:
            expected = "running"
        assert got["state"] == expected


@SETTINGS
@given(st.integers(0, SPAN_MINUTES // 2), st.integers(0, 5 * 24 * 60), st.integers(0, 5 * 24 * 60))
def test_elapsed_is_additive_over_split_points(run_engine, created, d1, d2):
    # elapsed(created, b) + elapsed(b, c) == elapsed(created, c): the second part from the reference.
    b, c = created + d1, created + d1 + d2
    e_b = _engine_row(run_engine, created, 60, [], b, None, metric="acknowledge")["elapsed_seconds"]
    e_c = _engine_row(run_engine, created, 60, [], c, None, metric="acknowledge")["elapsed_seconds"]
    middle = Reference(b, [], c, None).elapsed(c)
    assert e_b + 60 * middle == e_c


@SETTINGS
@given(st.integers(0, SPAN_MINUTES // 2), st.integers(1, 40 * 60))
def test_due_at_is_the_inverse_of_elapsed(run_engine, created, target):
    # At due_at elapsed equals the target; one minute earlier it is short of it.
    first = _engine_row(run_engine, created, target, [], created, None, metric="acknowledge")
    due = first["due_at"]
    due_minute = int((due - START).total_seconds() // 60)
    at_due = _engine_row(run_engine, created, target, [], due_minute, None, metric="acknowledge")
    before = _engine_row(run_engine, created, target, [], due_minute - 1, None, metric="acknowledge")
    assert at_due["elapsed_seconds"] == 60 * target
    assert before["elapsed_seconds"] < 60 * target
    assert at_due["due_at"] == due
