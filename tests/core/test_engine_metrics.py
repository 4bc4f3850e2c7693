"""evaluate(metrics=...) computes some clocks only, each exactly as a full evaluation does."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from sla_core.engine import evaluate
from sla_core.loading import load_files
from sla_core.policy import load_policy
from tests.conftest import ROOT, SAMPLE_POLICY

AS_OF = datetime(2026, 11, 26, 12, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sample() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    policy = load_policy(SAMPLE_POLICY)
    load_files(con, str(ROOT / "sample_data" / "tickets.csv"), str(ROOT / "sample_data" / "events.csv"), policy)
    evaluate(con, policy, AS_OF, out="whole")
    return con


@pytest.mark.parametrize("metrics", [["acknowledge"], ["resolution"], ["action_plan", "resolution"]])
def test_some_metrics_are_the_same_rows_as_in_a_full_evaluation(sample, metrics: list[str]) -> None:
    # resolution is the paused metric of the sample policy, acknowledge is never paused
    evaluate(sample, load_policy(SAMPLE_POLICY), AS_OF, out="part", metrics=metrics)
    part = sample.execute("SELECT * FROM part ORDER BY ticket_id, metric").fetchall()
    whole = sample.execute("SELECT * FROM whole WHERE list_contains(?, metric) ORDER BY ticket_id, metric",
                           [metrics]).fetchall()
    assert len(part) == len(whole) == 3000 * len(metrics)
    assert part == whole


def test_unknown_metric_is_refused(sample) -> None:
    with pytest.raises(ValueError, match="metrics must be some of"):
        evaluate(sample, load_policy(SAMPLE_POLICY), AS_OF, out="part", metrics=["respond"])
