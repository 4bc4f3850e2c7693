"""Feedback loops: records survive a restart of the store, bad input names its field, the retrospective's numbers."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pytest

from sla_core import feedback, periods
from sla_core.access import local_actor
from sla_core.analysis import feedback_loops, insights
from sla_core.analysis.filters import Filters
from sla_core.feedback import ActionItem, FeedbackError, IncidentReview, SeverityValidation
from sla_core.sources import DataSource

NOV = Filters(period=date(2026, 11, 1))


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


def review(ticket_id: str = "A", summary: str = "Failover did not trigger") -> IncidentReview:
    return IncidentReview(ticket_id=ticket_id, summary=summary, reviewed_at=date(2026, 11, 5), reviewer="Sam")


def test_reviews_and_action_items_survive_closing_and_reopening_the_store(store: Path) -> None:
    feedback.save_review(review(), store, actor=local_actor())
    feedback.save_action_items("A", [
        ActionItem(ticket_id="A", description="Alert on replica lag", owner="eng-oncall", deadline=date(2026, 11, 20)),
        ActionItem(ticket_id="A", description="Runbook step", owner="support", deadline=date(2026, 12, 20), done=True),
    ], store, actor=local_actor())
    # Every call opened and closed the file; a brand-new connection (a "restarted app") sees it all.
    con = duckdb.connect(str(store))
    try:
        assert con.execute("SELECT ticket_id, summary, reviewer FROM incident_reviews").fetchall() == [
            ("A", "Failover did not trigger", "Sam")
        ]
        assert con.execute("SELECT id, owner, done FROM action_items ORDER BY id").fetchall() == [
            (1, "eng-oncall", False), (2, "support", True)
        ]
    finally:
        con.close()
    got = feedback.reviews(store)
    assert got.to_dict("records")[0] | {"reviewed_at": None} == {
        "ticket_id": "A", "summary": "Failover did not trigger", "reviewed_at": None, "reviewer": "Sam",
        "action_items": 2, "open_items": 1,
    }
    assert got["reviewed_at"].iloc[0] == datetime(2026, 11, 5, tzinfo=timezone.utc)


def test_editing_action_items_keeps_ids_numbers_new_ones_and_drops_removed(store: Path) -> None:
    feedback.save_review(review(), store, actor=local_actor())
    feedback.save_review(review("B", "Wrong tier"), store, actor=local_actor())
    feedback.save_action_items("A", feedback.action_items_from_rows("A", [
        {"description": "one", "owner": "x", "deadline": "2026-11-10"},
        {"description": "two", "owner": "y", "deadline": "2026-11-11"},
    ]), store, actor=local_actor())
    feedback.save_action_items("B", feedback.action_items_from_rows("B", [
        {"description": "b1", "owner": "z", "deadline": "2026-11-12"},
    ]), store, actor=local_actor())
    # The editor returns A's rows: "one" marked done, "two" deleted, a new row added (no id).
    feedback.save_action_items("A", feedback.action_items_from_rows("A", [
        {"id": 1, "description": "one", "owner": "x", "deadline": "2026-11-10", "done": True},
        {"id": float("nan"), "description": "three", "owner": "w", "deadline": date(2026, 12, 1)},
    ]), store, actor=local_actor())
    items = feedback.action_items(store, today=date(2026, 11, 26))
    assert [(r["id"], r["ticket_id"], r["description"], r["done"]) for r in items.to_dict("records")] == [
        (1, "A", "one", True), (3, "B", "b1", False), (4, "A", "three", False)
    ]
    with pytest.raises(FeedbackError, match="id: belongs to another incident"):
        feedback.save_action_items("A", [ActionItem(id=3, ticket_id="A", description="steal", owner="x",
                                                    deadline=date(2026, 11, 1))], store, actor=local_actor())


def test_overdue_action_items_are_open_ones_past_their_deadline(store: Path) -> None:
    feedback.save_review(review(), store, actor=local_actor())
    feedback.save_action_items("A", feedback.action_items_from_rows("A", [
        {"description": "late", "owner": "x", "deadline": "2026-11-20"},
        {"description": "late but done", "owner": "x", "deadline": "2026-11-20", "done": True},
        {"description": "due today", "owner": "x", "deadline": "2026-11-26"},
    ]), store, actor=local_actor())
    overdue = feedback.overdue_action_items(store, today=date(2026, 11, 26))
    assert list(overdue["description"]) == ["late"]
    assert overdue["deadline"].iloc[0] == date(2026, 11, 20)
    assert list(feedback.action_items(store, open_only=True, today=date(2026, 11, 26))["description"]) == [
        "late", "due today"
    ]


def test_action_items_need_their_review_first(store: Path) -> None:
    with pytest.raises(FeedbackError, match="save the incident review before"):
        feedback.save_action_items("Z", [], store, actor=local_actor())


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"description": "x", "owner": "", "deadline": "2026-11-10"}, "action item row 2, owner:"),
        ({"description": "x", "owner": "o", "deadline": "next week"}, "action item row 2, deadline:"),
        ({"description": " ", "owner": "o", "deadline": "2026-11-10"}, "action item row 2, description:"),
        ({"description": "x", "owner": "o", "deadline": "2026-11-10", "colour": "red"}, "row 2, colour: Extra"),
    ],
)
def test_a_bad_action_item_names_its_row_and_field(row: dict, message: str) -> None:
    good = {"description": "fine", "owner": "o", "deadline": "2026-11-10"}
    with pytest.raises(FeedbackError) as err:
        feedback.action_items_from_rows("A", [good, row])
    assert message in str(err.value)


def test_a_bad_review_or_validation_names_its_field() -> None:
    with pytest.raises(FeedbackError, match="review of A, summary"):
        feedback.validated(IncidentReview, {"ticket_id": "A", "summary": "", "reviewed_at": "2026-11-05"},
                           "review of A")
    with pytest.raises(FeedbackError, match="validated_impact: Input should be 'critical'"):
        feedback.validated(SeverityValidation, {"ticket_id": "A", "assessed_impact": "high",
                                                "validated_impact": "urgent", "validated_at": date(2026, 11, 5)},
                           "validation of A")


def test_incidents_without_review(month_source: DataSource, store: Path) -> None:
    # November's critical incidents are A and B; once A is reviewed only B is missing one.
    assert set(feedback_loops.incidents_without_review(month_source, NOV, store)["ticket_id"]) == {"A", "B"}
    feedback.save_review(review("A"), store, actor=local_actor())
    missing = feedback_loops.incidents_without_review(month_source, NOV, store)
    assert list(missing["ticket_id"]) == ["B"]
    listed = feedback_loops.critical_incidents(month_source, NOV, feedback.reviewed_ids(store))
    assert dict(zip(listed["ticket_id"], listed["reviewed"])) == {"A": True, "B": False}
    feedback.delete_review("A", store, actor=local_actor())
    assert feedback.reviewed_ids(store) == []


def test_severity_validation_confusion_matrix_and_misclassified(month_source: DataSource, store: Path) -> None:
    assert feedback_loops.assessed_impact(month_source, "C") == "high"
    for ticket, assessed, validated in (("A", "critical", "critical"), ("C", "high", "critical"),
                                        ("E", "medium", "low"), ("F", "low", "low")):
        feedback.save_validation(SeverityValidation(ticket_id=ticket, assessed_impact=assessed,
                                                    validated_impact=validated, validated_at=date(2026, 11, 30)),
                                 store, actor=local_actor())
    # Re-validating a ticket replaces its record.
    feedback.save_validation(SeverityValidation(ticket_id="F", assessed_impact="low", validated_impact="low",
                                                validated_at=date(2026, 12, 1), note="confirmed"), store, actor=local_actor())
    checked = feedback.validations(store)
    assert len(checked) == 4
    matrix = feedback_loops.confusion_matrix(checked)
    assert matrix.loc["critical", "critical"] == 1 and matrix.loc["high", "critical"] == 1
    assert matrix.loc["medium", "low"] == 1 and matrix.loc["low", "low"] == 1
    assert int(matrix.to_numpy().sum()) == 4 and list(matrix.index) == ["critical", "high", "medium", "low"]
    wrong = feedback_loops.misclassified(checked)
    assert dict(zip(wrong["ticket_id"], wrong["error"])) == {"C": "under-assessed", "E": "over-assessed"}
    assert feedback_loops.confusion_matrix(checked.iloc[0:0]).to_numpy().sum() == 0


def test_quarterly_retrospective_percentiles_and_capacity(month_source: DataSource) -> None:
    # Q4 2026. High acknowledge (business hours): C 10:00 -> 11:00 = 1h, D 09:15 -> 09:45 = 0.5h,
    # G 10:00 -> 10:30 = 0.5h. Sorted [0.5, 0.5, 1]: p90 at position 1.8 = 0.5 + 0.8 * 0.5 = 0.9h,
    # p95 at 1.9 = 0.95h; all met the 2h target; p90 / target = 0.45.
    q4 = date(2026, 10, 1)
    retro = insights.retrospective(month_source, Filters(), q4)
    high_ack = retro[(retro["tier"] == "high") & (retro["metric"] == "acknowledge")].iloc[0]
    assert high_ack["clocks"] == 3 and high_ack["target_hours"] == pytest.approx(2)
    assert high_ack["p90_hours"] == pytest.approx(0.9) and high_ack["p95_hours"] == pytest.approx(0.95)
    assert high_ack["met_share"] == pytest.approx(1.0) and high_ack["p90_vs_target"] == pytest.approx(0.45)
    untimed = retro[(retro["tier"] == "critical") & (retro["metric"] == "resolution")].iloc[0]
    assert untimed["clocks"] == 2 and untimed["met_share"] != untimed["met_share"]  # NaN: nothing to meet
    # Capacity: created in Q4 (92 days = 13.14 weeks): critical 2, high 3 (C and D share a week), medium 2, low 2.
    cap = insights.capacity(month_source, Filters(), q4).set_index("tier")
    assert cap["tickets"].to_dict() == {"critical": 2, "high": 3, "medium": 2, "low": 2}
    assert cap.loc["high", "per_week"] == pytest.approx(3 / (92 / 7))
    assert cap.loc["high", "busiest_week"] == 2
    # By default the last full quarter before as_of (1 Dec 2026) is Q3: nothing of this data set.
    assert periods.last_quarter(month_source.as_of, "Europe/London") == date(2026, 7, 1)
    assert insights.retrospective(month_source, Filters()).empty
    with pytest.raises(ValueError, match="first day of a quarter"):
        insights.retrospective(month_source, Filters(), date(2026, 11, 1))
