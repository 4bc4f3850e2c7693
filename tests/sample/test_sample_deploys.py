"""The sample's deploys: the committed file imports as deploys, some incidents are preceded by a deploy of their
service, and most deploys precede nothing (sla_core/sample/signals.py)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb

from sla_core.analysis import context
from sla_core.analysis.filters import Filters
from sla_core.ingest.loading import load_files
from sla_core.policy import load_policy
from sla_core.sources import sample_source
from sla_core.vocab import DEFAULT_POLICY
from tests.conftest import ROOT


def test_the_committed_deploys_import_whole() -> None:
    report = load_files(duckdb.connect(), ROOT / "sample_data" / "deploys.csv", None,
                        load_policy(ROOT / "sample_data" / "policy.yaml"))
    assert (report.format, report.rejected) == ("deploys", 0) and report.accepted > 500


def test_some_incidents_follow_a_deploy_and_most_deploys_are_harmless() -> None:
    sample = sample_source(load_policy(DEFAULT_POLICY), datetime(2026, 11, 26, 15, tzinfo=timezone.utc))
    shares = context.deploy_share(sample, Filters())
    preceded, named = shares["after_deploy"].sum(), shares["naming_service"].sum()
    assert 0.2 < preceded / named < 0.7  # the culprits (30 %) and routine deploys that fell in the window
    window = sample.policy.context_window
    # the deploys that fell in the window before some incident of their service, of all of them
    in_any, total = sample.con.execute(
        """SELECT count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM signals s WHERE s.incident_ref IS NOT NULL AND s.service = d.service
                     AND d.deployed_at BETWEEN coalesce(s.started_at, s.detected_at) - to_seconds(?)
                                           AND coalesce(s.started_at, s.detected_at))),
                  count(*)
           FROM deploys d""", [window]).fetchone()
    assert total > 500 and in_any / total < 0.4  # about 0.3: the culprits, and routine ones by chance
