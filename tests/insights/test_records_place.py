"""Work done on the sample or on an upload never lands in the user's store (a review saved on the sample once did).

Each kind of write the app makes (incident review, action items, severity validation, simulator scenario) is
made through the source's own `records` file, with SLA_BOARD_DB pointing at a store that must stay untouched.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.feedback import ActionItem, IncidentReview, SeverityValidation
from sla_core.ingest.store import store_path
from sla_core.policy.model import load_policy
from sla_core.simulate import scenarios as kept
from sla_core.sources import DataSource, sample_source, upload_source
from tests.insights.conftest import ROOT
from tests.insights.test_pages import page

AS_OF = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "users_store.duckdb"
    monkeypatch.setenv("SLA_BOARD_DB", str(path))
    assert store_path() == path
    return path


def write_everything(source: DataSource) -> None:
    """Every kind of record the pages save, into the source's own records file."""
    feedback.save_review(IncidentReview(ticket_id="T-1", summary="Failover was late", reviewed_at=date(2026, 11, 5),
                                        reviewer="Sam"), source.records, actor=local_actor())
    feedback.save_action_items("T-1", [ActionItem(ticket_id="T-1", description="Page on replica lag", owner="eng",
                                                  deadline=date(2026, 12, 20))], source.records, actor=local_actor())
    feedback.save_validation(SeverityValidation(ticket_id="T-1", assessed_impact="high", validated_impact="critical",
                                                validated_at=AS_OF, note="confirmed by the customer"), source.records, actor=local_actor())
    kept.save_scenario(kept.scenario("severity heavy", "w.severity=0.6", source.policy.to_yaml(), {}), source.records, actor=local_actor())


def test_the_sample_and_an_upload_keep_their_records_away_from_the_store(store: Path, tmp_path: Path) -> None:
    policy = load_policy(ROOT / "sample_data" / "policy.yaml")
    sample = sample_source(policy, AS_OF)
    upload = upload_source(ROOT / "sample_data" / "tickets.csv", ROOT / "sample_data" / "events.csv", policy,
                           label="an upload", as_of=AS_OF)
    for source in (sample, upload):
        assert source.records != store
        write_everything(source)
        # (the sample's records file is shared by every session of this process: other tests may add theirs)
        assert "T-1" in feedback.reviewed_ids(source.records)
        assert "Page on replica lag" in set(feedback.action_items(source.records).description)
        assert "T-1" in set(feedback.validations(source.records).ticket_id)
        assert "severity heavy" in [s.name for s in kept.saved_scenarios(source.records)]
        kept.delete_scenario("severity heavy", source.records, actor=local_actor())
    assert sample.records != upload.records
    assert not store.exists(), "a write on the sample or an upload reached the user's store"


def test_a_review_saved_on_the_page_for_an_upload_stays_with_the_upload(month_source: DataSource,
                                                                          store: Path) -> None:
    at = page("feedback.py", month_source)  # an upload: no records file given, the source's own is used
    at.selectbox(key="feedback_ticket").set_value("B").run()
    at.text_area(key="feedback_summary_B").input("Replica lag hid the outage")
    at.text_input(key="feedback_reviewer_B").input("Sam")
    at.button(key="feedback_save_review").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Review of B saved."
    assert "B" in feedback.reviewed_ids(month_source.records)
    assert not store.exists(), "the page saved an upload's review into the user's store"
    feedback.delete_review("B", month_source.records, actor=local_actor())  # the session-wide source is shared with other tests
