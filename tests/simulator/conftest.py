"""Fixtures of the simulator tests: a generated ticket set judged once, shared by the module's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterator
from zoneinfo import ZoneInfo

import duckdb
import pytest

from sla_core import simulate as sim
from sla_core.policy import Policy, load_policy
from sla_core.sample import write_into
from tests.conftest import SAMPLE_POLICY

AS_OF = datetime(2026, 11, 26, 12, 0, tzinfo=ZoneInfo("Europe/London"))  # the generator's data horizon

# A rubric with round numbers, so every score below can be checked by hand.
HAND_RUBRIC: dict[str, Any] = {
    "weights": {"customers_affected": 0.4, "segment": 0.1, "severity": 0.3, "regulatory": 0.2, "workaround": -0.1},
    "scales": {
        "customers_affected": {0: 0.0, 10: 0.5, 100: 1.0},
        "segment": {"enterprise": 1.0, "self_serve": 0.5},
        "severity": {"data_loss": 1.0, "security": 1.0, "outage": 1.0, "blocked": 0.5, "cosmetic": 0.0},
        "regulatory": {True: 1.0, False: 0.0},
        "workaround": {True: 1.0, False: 0.0},
    },
    "thresholds": {"critical": 0.75, "high": 0.5, "medium": 0.25},
    "always_critical": ["data_loss", "security"],
}


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(SAMPLE_POLICY)


@pytest.fixture(scope="module")
def generated() -> Iterator[duckdb.DuckDBPyConnection]:
    """4,000 generated tickets over a year (seed 7) with their events."""
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    write_into(con, 4000, seed=7)
    yield con
    con.close()


@pytest.fixture(scope="module")
def replay(generated: duckdb.DuckDBPyConnection, policy: Policy) -> sim.Replay:
    """The last full quarter of the generated tickets, current side judged once."""
    baseline = sim.prepare_baseline(generated, policy, AS_OF)
    return sim.prepare_replay(baseline, sim.default_quarter(generated, policy, AS_OF))
