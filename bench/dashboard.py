"""Dashboard speed with a large store: first Review render, warm render, filter changes, the breach queue.

    python bench/dashboard.py [--tickets 1000000] [--rebuild]

Builds bench/data/dashboard_<n>.duckdb once with the sample generator (ends
2026-11-26 12:00 London), points SLA_BOARD_DB at it and drives the real app
in-process with Streamlit's AppTest, timing each script run (server-side
render: queries, figures, tables; not the browser's paint). Also times the
steps underneath: the store's snapshot, the engine, the review's outcomes.

The store is judged once first, as every import does (`keep_results`), so the
first render uses the kept results; it is then timed again with the kept
results set aside (as after a policy change), when the engine judges it all.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sla_core.analysis import review  # noqa: E402
from sla_core.analysis.filters import Filters  # noqa: E402
from sla_core.ingest.store import keep_results, open_store  # noqa: E402
from sla_core.now import now as clock_now
from sla_core.policy import load_policy  # noqa: E402
from sla_core.sample import write_into  # noqa: E402
from sla_core.sources import (
    outcomes,  # noqa: E402
    store_source,  # noqa: E402
)


def build_store(path: Path, n: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = open_store(path)  # the store's own schema (tickets, events, imports), then the generated rows
    started = time.perf_counter()
    tickets, events = write_into(con, n, seed=11)
    con.close()
    print(f"built {path.name}: {tickets:,} tickets, {events:,} events in {time.perf_counter() - started:.1f} s")


def timed(label: str, fn, results: dict[str, list[float]]):  # noqa: ANN001, ANN201
    started = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - started
    results.setdefault(label, []).append(elapsed)
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true", help="regenerate the store even if it exists")
    args = parser.parse_args(argv)

    store = ROOT / "bench" / "data" / f"dashboard_{args.tickets}.duckdb"
    if args.rebuild or not store.exists():
        build_store(store, args.tickets)
    os.environ["SLA_BOARD_DB"] = str(store)
    policy = load_policy(ROOT / "sample_data" / "policy.yaml")
    t: dict[str, list[float]] = {}
    timed("store: judge and keep results (part of every import)", lambda: keep_results(store, policy), t)

    # The steps underneath, once, outside Streamlit.
    import sla_core.sources.datasource as datasource

    source = timed("core: store snapshot + kept results read in place + running tickets + outcomes",
                   lambda: store_source(policy, store), t)
    assert source.kept_at is not None, "the kept results were not used"
    source.con.close()
    kept_results = datasource._kept_results
    datasource._kept_results = lambda *args, **kwargs: None  # as if the policy had changed since the import
    source = timed("core: store snapshot + engine + outcomes (nothing kept)", lambda: store_source(policy, store), t)
    datasource._kept_results = kept_results
    con = source.con
    rows = con.execute(f"SELECT count(*) FROM {source.results}").fetchone()[0]
    timed("core: engine alone (re-evaluate)", lambda: __import__("sla_core.clocks.engine", fromlist=["evaluate"]).evaluate(
        con.cursor(), policy, clock_now(), out="bench_results"), t)
    period = max(outcomes.month_clocks(con))
    for tier in (None, "critical", "high"):
        f = Filters(period=period, tier=tier)
        timed("core: review queries for one filter", lambda: (
            review.headline(source, f), review.adherence_table(source, f), review.adherence_trend(source, f),
            review.elapsed_distribution(source, f, "acknowledge"), review.breaches_by_team(source, f),
            review.tickets_behind(source, f, limit=2000), review.count_behind(source, f)), t)
    con.close()  # frees its memory before the app runs

    from streamlit.testing.v1 import AppTest

    from ui.state import StateKeys

    def session() -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.session_state[StateKeys.CHOSEN_SOURCE] = "store"
        return at

    import streamlit as st

    cold = session()
    timed("app: first Review render after a start (kept results + page)", cold.run, t)
    assert not cold.exception, [e.value for e in cold.exception]
    assert cold.session_state[StateKeys.ACTIVE_SOURCE].kind == "store"
    assert cold.session_state[StateKeys.ACTIVE_SOURCE].kept_at is not None
    st.cache_resource.clear()
    datasource._kept_results = lambda *args, **kwargs: None
    cold = session()
    timed("app: first Review render, nothing kept (store snapshot + engine + page)", cold.run, t)
    datasource._kept_results = kept_results
    assert not cold.exception, [e.value for e in cold.exception]
    warm = session()
    timed("app: first Review render, new session (results cached)", warm.run, t)
    warm.run()  # AppTest re-executes only the page from here on; widgets settle on this run
    for key, value in ((StateKeys.TIER, "critical"), (StateKeys.SEGMENT, "enterprise"), (StateKeys.TEAM, "support"),
                       (StateKeys.TIER, "high"), (StateKeys.SEGMENT, "__all__"), (StateKeys.PERIOD, period.replace(month=max(1, period.month - 3)))):
        warm.selectbox(key=key).set_value(value)
        timed("app: filter change", warm.run, t)
        assert not warm.exception, [e.value for e in warm.exception]
    warm.switch_page("pages/breach_queue.py")
    timed("app: breach queue render (live re-evaluation at now)", warm.run, t)
    assert not warm.exception, [e.value for e in warm.exception]

    print(f"\n{args.tickets:,} tickets, {rows:,} ticket x metric results, {os.cpu_count()} cores")
    for label, values in t.items():
        extra = f" (median of {len(values)}, max {max(values):.2f} s)" if len(values) > 1 else ""
        print(f"{label:<66} {statistics.median(values):7.2f} s{extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
