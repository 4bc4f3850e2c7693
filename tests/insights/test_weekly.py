"""The weekly post-mortem cadence (sla_core/analysis/weekly.py) on a hand-built week, worked out by hand.

The policy's timezone is America/New_York (UTC-5 in December), so a week starts Monday 05:00 UTC; reviews are
due 2 days (48 h) after the resolution for critical and high tickets. Now is Thu 10 Dec 2026 03:00 UTC, which is
Wed 9 Dec 22:00 in New York: the week holding now is 2026-W50 (Mon 7 Dec – Sun 13 Dec), today is 9 Dec.

  P1 critical, resolved Mon 7 Dec 04:30 UTC = Sun 6 Dec 23:30 New York: last week (W49), though Monday in UTC.
     Due Wed 9 Dec 04:30 UTC, before now; no review: overdue by 22 h 30 m.
  P2 critical, resolved Mon 7 Dec 06:00 UTC = 01:00 New York: this week. Due Wed 9 Dec 06:00 UTC. Reviewed.
  P3 high, resolved Tue 8 Dec 15:00 UTC: this week. Due Thu 10 Dec 15:00 UTC: 12 h left. No review.
  P4 critical, resolved Wed 9 Dec 14:00 UTC: this week. Due Fri 11 Dec 14:00 UTC: 35 h left. No review.
  P5 critical, not resolved: needs no review yet.
  P6 medium, resolved Tue 8 Dec: medium is not a post_mortem tier.
  P7 critical, resolved Fri 20 Nov 10:00 UTC (W47). Due Sun 22 Nov 10:00 UTC; no review: overdue by 17 d 17 h.
  P8 critical, resolved Wed 25 Nov (W48). Reviewed.
  P9 critical, resolved Thu 10 Dec 09:00 UTC, after now: from now's view it is not resolved yet.

Action items (today 9 Dec, the week ends Sun 13 Dec), numbered in the order saved:
  1 eng      Alert on lag     deadline 8 Dec   open   overdue
  2 support  Runbook step     deadline 11 Dec  open   due this week
  3 eng      Fix config       deadline 13 Dec  open   due this week (its Sunday counts)
  4 eng      Drill            deadline 14 Dec  open   next week: not listed
  5 support  Old follow-up    deadline 1 Dec   done   not listed
  6 eng      Tune alert       deadline 9 Dec   open   due today, not overdue (in UTC it would already be 10 Dec)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.analysis import weekly
from sla_core.analysis.filters import Filters
from sla_core.feedback import ActionItem, IncidentReview
from sla_core.notify.digest import digest_text
from sla_core.sources import DataSource
from tests.conftest import make_policy
from tests.insights.conftest import build_source, utc

NOW = datetime(2026, 12, 10, 3, 0, tzinfo=timezone.utc)
ZONE = "America/New_York"


def _ticket(ticket_id: str, impact: str, created: str, resolved: str | None) -> dict:
    return dict(ticket_id=ticket_id, impact=impact, segment="enterprise", owner_team="engineering",
                created_at=utc(created), acknowledged_at=utc(created),
                resolved_at=utc(resolved) if resolved else None)


TICKETS = [
    _ticket("P1", "critical", "2026-12-07 03:00", "2026-12-07 04:30"),
    _ticket("P2", "critical", "2026-12-07 05:00", "2026-12-07 06:00"),
    _ticket("P3", "high", "2026-12-08 09:00", "2026-12-08 15:00"),
    _ticket("P4", "critical", "2026-12-09 10:00", "2026-12-09 14:00"),
    _ticket("P5", "critical", "2026-12-09 12:00", None),
    _ticket("P6", "medium", "2026-12-08 09:00", "2026-12-08 16:00"),
    _ticket("P7", "critical", "2026-11-20 08:00", "2026-11-20 10:00"),
    _ticket("P8", "critical", "2026-11-25 08:00", "2026-11-25 10:00"),
    _ticket("P9", "critical", "2026-12-09 20:00", "2026-12-10 09:00"),
]


def week_policy():  # noqa: ANN201
    return make_policy(timezone=ZONE, post_mortem={"tiers": ["critical", "high"], "due_within": "2d"})


@pytest.fixture
def week_source(tmp_path: Path) -> DataSource:
    source = replace(build_source(TICKETS, [], week_policy(), as_of=NOW), writes_to=tmp_path / "records.duckdb")
    for ticket_id in ("P2", "P8"):
        feedback.save_review(IncidentReview(ticket_id=ticket_id, summary="done", reviewed_at=date(2026, 12, 8)),
                             source.records, actor=local_actor())
    items = [("eng", "Alert on lag", date(2026, 12, 8), False), ("support", "Runbook step", date(2026, 12, 11), False),
             ("eng", "Fix config", date(2026, 12, 13), False), ("eng", "Drill", date(2026, 12, 14), False),
             ("support", "Old follow-up", date(2026, 12, 1), True)]
    feedback.save_action_items("P2", [ActionItem(ticket_id="P2", owner=o, description=d, deadline=dl, done=done)
                                      for o, d, dl, done in items], source.records, actor=local_actor())
    feedback.save_action_items("P8", [ActionItem(ticket_id="P8", owner="eng", description="Tune alert",
                                                 deadline=date(2026, 12, 9))], source.records, actor=local_actor())
    return source


def test_the_week_is_the_iso_week_of_now_in_the_policys_timezone(week_source: DataSource) -> None:
    week = weekly.current_week(week_source)
    assert (week.label, week.monday, week.sunday) == ("2026-W50", date(2026, 12, 7), date(2026, 12, 13))
    assert week.start == datetime(2026, 12, 7, 5, tzinfo=timezone.utc)  # Monday 00:00 in New York
    assert week.previous().words() == "2026-W49, Mon 30 Nov – Sun 6 Dec"
    assert weekly.today(week_source) == date(2026, 12, 9)  # 22:00 on the 9th in New York, the 10th in UTC
    # ISO years: 29 Dec 2025 is in 2026's first week; 1 Jan 2027 (a Friday) in 2026's last.
    assert weekly.Week.holding(datetime(2025, 12, 29, 12, tzinfo=timezone.utc), ZONE).label == "2026-W01"
    assert weekly.Week.holding(datetime(2027, 1, 1, 12, tzinfo=timezone.utc), ZONE).label == "2026-W53"


def test_reviews_due_this_week_overdue_and_action_items_by_owner(week_source: DataSource) -> None:
    listed = weekly.weekly(week_source)
    resolved = listed.resolved
    # This week: P3, P4 (no review; soonest due first), then P2 (reviewed). Not P1 (last week in New York), P5
    # (open), P6 (medium), P9 (resolved after now).
    assert list(resolved["ticket_id"]) == ["P3", "P4", "P2"]
    assert list(resolved["reviewed"]) == [False, False, True]
    assert list(resolved["overdue"]) == [False, False, False]  # P2 is past due, but reviewed
    # P3 due Thu 10 Dec 15:00 UTC = 10:00 New York, 12 h after now; P4 due Fri 11 Dec 09:00 New York, 35 h after.
    assert [str(t) for t in resolved["due"]] == ["2026-12-10 10:00:00", "2026-12-11 09:00:00", "2026-12-09 01:00:00"]
    assert resolved["time_left_seconds"].iloc[:2].tolist() == [12 * 3600, 35 * 3600]
    assert resolved["time_left_seconds"].isna().iloc[2]  # reviewed: nothing left to count
    assert str(resolved["resolved"].iloc[2]) == "2026-12-07 01:00:00"  # P2's resolution, New York wall clock

    # Overdue, any week: P7 (due 22 Nov) before P1 (due 9 Dec 04:30 UTC); P3's review is not due yet.
    overdue = listed.overdue
    assert list(overdue["ticket_id"]) == ["P7", "P1"]
    assert overdue["time_left_seconds"].tolist() == [-(17 * 86400 + 17 * 3600), -(22 * 3600 + 30 * 60)]

    # Action items due by Sun 13 Dec or overdue, by owner then deadline: eng 1 (8 Dec, overdue), 6 (9 Dec, today),
    # 3 (13 Dec); support 2 (11 Dec). Not 4 (14 Dec) nor 5 (done).
    items = listed.items
    assert list(zip(items["owner"], items["item"], items["overdue"])) == [
        ("eng", 1, True), ("eng", 6, False), ("eng", 3, False), ("support", 2, False)]
    assert items["deadline"].iloc[0] == date(2026, 12, 8)


def test_last_weeks_incidents_are_what_the_digest_lists(week_source: DataSource) -> None:
    # Last week (W49, Mon 30 Nov 05:00 UTC – Mon 7 Dec 05:00 UTC) resolved only P1; P8 was W48.
    last = weekly.reviews_resolved_in(week_source, weekly.current_week(week_source).previous(), ["P2", "P8"])
    assert list(zip(last["ticket_id"], last["reviewed"], last["overdue"])) == [("P1", False, True)]


def test_no_records_yet_means_nothing_due_and_the_incidents_still_listed(tmp_path: Path) -> None:
    source = replace(build_source(TICKETS, [], week_policy(), as_of=NOW), writes_to=tmp_path / "empty.duckdb")
    listed = weekly.weekly(source)
    assert listed.items.empty and list(listed.items.columns) == ["owner", "item", "ticket_id", "description",
                                                                 "deadline", "overdue"]
    assert list(listed.resolved["ticket_id"]) == ["P2", "P3", "P4"]  # none reviewed: by due time
    # Without reviews, P8 (due 27 Nov) and P2 (due 9 Dec 06:00 UTC) are overdue too, in order of due time.
    assert list(listed.overdue["ticket_id"]) == ["P7", "P8", "P1", "P2"]
    # A store that never held a review (notify's dry run opens it read-only: no tables are created) reads the same.
    duckdb.connect(str(tmp_path / "bare.duckdb")).close()
    bare = duckdb.connect(str(tmp_path / "bare.duckdb"), read_only=True)
    try:
        again = weekly.weekly(source, records=bare)
    finally:
        bare.close()
    assert again.items.empty and list(again.overdue["ticket_id"]) == ["P7", "P8", "P1", "P2"]


def test_the_this_week_view_on_incident_feedback(week_source: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.insights.test_pages import page

    monkeypatch.setenv("SLA_BOARD_DB", str(week_source.records))
    at = page("feedback.py", week_source, Filters(), records=week_source.records)
    assert not at.exception, [e.value for e in at.exception]
    assert at.subheader[0].value == "This week: 2026-W50, Mon 7 Dec – Sun 13 Dec"
    shown = {m.label: m.value for m in at.metric}
    assert shown["Reviewed, resolved this week"] == "1 of 3"  # P2 of P2, P3, P4
    assert shown["Reviews overdue"] == "2"  # P7, P1
    assert shown["Action items due by Sun 13 Dec"] == "4"  # 1, 6, 3 (eng) and 2 (support)
    resolved, overdue, eng, support = (frame.value for frame in at.dataframe[:4])
    assert list(resolved["Ticket"]) == ["P3", "P4", "P2"]
    assert list(resolved["Due"]) == ["2026-12-10 10:00", "2026-12-11 09:00", "2026-12-09 01:00"]  # New York
    assert list(resolved["Time left"]) == ["12 h left", "35 h left", "—"]
    assert list(resolved["Reviewed"]) == ["no", "no", "yes"]
    assert list(overdue["Ticket"]) == ["P7", "P1"]
    assert list(overdue["Time left"]) == ["17 d 17 h overdue", "22 h 30 m overdue"]
    assert [m.value for m in at.markdown if m.value.startswith("**")][:2] == ["**eng** · 3 items, 1 overdue",
                                                                             "**support** · 1 item"]
    assert list(eng["No."]) == [1, 6, 3] and list(eng["Overdue"]) == ["yes", "no", "no"]
    assert list(support["Action item"]) == ["Runbook step"]

    at.radio(key="weekly_resolved_in").set_value("last week").run()  # what the digest of this week lists
    assert {m.label: m.value for m in at.metric}["Reviewed, resolved last week"] == "0 of 1"
    assert list(at.dataframe[0].value["Ticket"]) == ["P1"]


def test_reviews_long_past_due_are_counted_not_chased(tmp_path: Path) -> None:
    """History imported from before the team reviewed here (an old export): a review past due longer than
    `post_mortem.chase_for` is counted beside the list, not listed every week nor in the digest."""
    policy = make_policy(timezone=ZONE, post_mortem={"tiers": ["critical", "high"], "due_within": "2d",
                                                    "chase_for": "10d"})
    source = replace(build_source(TICKETS, [], policy, as_of=NOW), writes_to=tmp_path / "records.duckdb")
    listed = weekly.weekly(source)
    # P7 was due 22 Nov 10:00 UTC (17 d 17 h before now) and P8 27 Nov 10:00 UTC (12 d 17 h): both past 10 d
    assert list(listed.overdue["ticket_id"]) == ["P1", "P2"] and listed.older_overdue == 2
    assert "(2 more past due longer than 10 d: left to the quarterly retrospective)" in digest_text(listed)
    default = weekly.weekly(replace(source, policy=week_policy()))
    assert default.older_overdue == 0 and list(default.overdue["ticket_id"]) == ["P7", "P8", "P1", "P2"]


def test_the_view_counts_what_it_no_longer_chases(week_source: DataSource, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.insights.test_pages import page

    short = week_source.policy.model_copy(update={"post_mortem": week_source.policy.post_mortem.model_copy(
        update={"chase_for": 10 * 86400})})
    source = replace(week_source, policy=short)
    monkeypatch.setenv("SLA_BOARD_DB", str(source.records))
    at = page("feedback.py", source, Filters(), records=source.records)
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Reviews overdue"] == "1"  # P1; P7 is past due 17 d
    assert list(at.dataframe[1].value["Ticket"]) == ["P1"]
    assert ("1 more incident past due longer than 10 d without a review: not chased each week (history from before "
            "the team reviewed here); the quarterly retrospective covers them. The policy's `post_mortem.chase_for` "
            "sets how long.") in [c.value for c in at.caption]
