"""How SLA Board's resolution verdict compares with ServiceNow's own `made_sla`, on the real audit log.

    python bench/servicenow_agreement.py [--policy tests/realdata/servicenow_policy.yaml]
                                         [--data ../shared/realdata/servicenow_incident_event_log.csv.gz]

Imports the log with the ServiceNow audit preset (in memory), evaluates every
clock with `sla_core.clocks.engine.evaluate` as of the log's last update, and counts
how often the resolution clock's met/breached agrees with the incident's final
`made_sla` value. `made_sla` is a reference, not a target: disagreement shows
where the chosen policy differs from the instance's own SLA definitions.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sla_core.clocks.engine import evaluate  # noqa: E402
from sla_core.ingest.loading import LoadReport, load_files  # noqa: E402
from sla_core.policy import Policy, load_policy  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "realdata" / "servicenow_incident_event_log.csv.gz"
DEFAULT_POLICY = ROOT / "tests" / "realdata" / "servicenow_policy.yaml"


@dataclass
class Agreement:
    compared: int
    agree: int
    excluded: dict[str, int]
    matrix: dict[tuple[str, str], int]  # (SLA Board state, made_sla) -> incidents
    per_tier: dict[str, tuple[int, int]] = field(default_factory=dict)  # tier -> (agree, compared)
    load: LoadReport | None = None

    @property
    def percent(self) -> float:
        return 100.0 * self.agree / self.compared if self.compared else 0.0


def measure(con: duckdb.DuckDBPyConnection, policy: Policy) -> Agreement:
    """Compare on already-loaded `tickets` (with the made_sla extra column) and `events`."""
    as_of = con.execute('SELECT max("at") FROM events').fetchone()[0]
    out = evaluate(con, policy, as_of)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _cmp AS
        SELECT r.tier, r.state, lower(t.made_sla) AS made_sla
        FROM {out} r JOIN tickets t USING (ticket_id) WHERE r.metric = 'resolution'"""
    )
    excluded = dict(con.execute(
        "SELECT state, count(*) FROM _cmp WHERE state NOT IN ('met', 'breached') "
        "OR made_sla NOT IN ('true', 'false') OR made_sla IS NULL GROUP BY state"
    ).fetchall())
    rows = con.execute(
        """SELECT tier, state, made_sla, count(*) FROM _cmp
        WHERE state IN ('met', 'breached') AND made_sla IN ('true', 'false') GROUP BY ALL"""
    ).fetchall()
    matrix: dict[tuple[str, str], int] = {}
    per_tier: dict[str, list[int]] = {}
    for tier, state, made, n in rows:
        matrix[(state, made)] = matrix.get((state, made), 0) + n
        ok = (state == "met") == (made == "true")
        counts = per_tier.setdefault(tier, [0, 0])
        counts[0] += n if ok else 0
        counts[1] += n
    compared = sum(matrix.values())
    agree = matrix.get(("met", "true"), 0) + matrix.get(("breached", "false"), 0)
    return Agreement(compared, agree, excluded, matrix, {t: (a, c) for t, (a, c) in per_tier.items()})


def run(data: Path, policy_path: Path) -> Agreement:
    policy = load_policy(policy_path)
    con = duckdb.connect()
    report = load_files(con, data, None, policy, export_format="servicenow")
    result = measure(con, policy)
    result.load = report
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--policy", type=Path, default=DEFAULT_POLICY)
    args = parser.parse_args()
    if not args.data.is_file():
        print(f"error: {args.data} not found (the real data lives in ../shared/realdata)", file=sys.stderr)
        return 2
    started = time.perf_counter()
    result = run(args.data, args.policy)
    assert result.load is not None
    for line in result.load.lines():
        print(line)
    print(f"policy {args.policy}")
    print(f"resolution verdicts compared with made_sla: {result.compared} incidents, "
          f"agreement {result.percent:.1f}% ({result.agree})")
    for (state, made), n in sorted(result.matrix.items()):
        print(f"  SLA Board {state:8s} / made_sla {made:5s}: {n}")
    for tier in ("critical", "high", "medium", "low"):
        if tier in result.per_tier:
            a, c = result.per_tier[tier]
            print(f"  {tier:8s} {100.0 * a / c:5.1f}% of {c}")
    if result.excluded:
        print(f"  not compared: {result.excluded}")
    print(f"took {time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
