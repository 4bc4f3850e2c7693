"""One session's upload never reaches another session, through state or through Streamlit's shared caches.

AppTest sessions in one process share st.cache_resource / st.cache_data, as
browser sessions on one server do. Two sessions upload different exports
under the same file name and the same byte size (so a cache keyed on name or
size would mix them up); each must see its own numbers, a third only the
sample. Statically, no cached function may read st.session_state (which
would put one session's data in a cache every session reads).
"""

from __future__ import annotations

import ast

from sla_core.analysis import review
from sla_core.sources import DataSource
from ui.state import StateKeys

from .conftest import app_nodes, fresh_session, metrics, upload

HEADER = "ticket_id,created_at,impact,segment,owner_team,action_plan_at,acknowledged_at\n"
# Same name, same size, different outcomes: A's critical tickets are acknowledged in 10 minutes, B's in 2 h 10
# (both post an action plan within 40 minutes).
MET_ROWS = "".join(f"S-{i},2026-11-0{i} 10:00,critical,enterprise,support,2026-11-0{i} 10:40,2026-11-0{i} 10:10\n" for i in range(2, 6))
LATE_ROWS = "".join(f"S-{i},2026-11-0{i} 10:00,critical,enterprise,support,2026-11-0{i} 10:40,2026-11-0{i} 12:10\n" for i in range(2, 6))
EXPORT_A = (HEADER + MET_ROWS).encode()
EXPORT_B = (HEADER + LATE_ROWS).encode()
NAME = "export.csv"


def _cached(node: ast.AST) -> bool:
    return isinstance(node, ast.FunctionDef) and any(
        getattr(deco.func if isinstance(deco, ast.Call) else deco, "attr", "") in ("cache_data", "cache_resource")
        for deco in node.decorator_list)


def test_no_cached_function_reads_session_state():
    cached = [(f"{where} {func.name}", func) for where, func in app_nodes(_cached)]
    assert cached, "expected the app's cached sources (sample, store)"
    for where, func in cached:
        names = {getattr(n, "attr", getattr(n, "id", "")) for n in ast.walk(func)}
        assert "session_state" not in names, f"{where} reads st.session_state inside a cache shared by every session"


def review_headline(at) -> dict[str, str]:  # noqa: ANN001
    at.switch_page("pages/review.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return metrics(at)


def test_two_uploads_with_the_same_name_and_size_stay_in_their_sessions():
    assert len(EXPORT_A) == len(EXPORT_B) and EXPORT_A != EXPORT_B
    single = fresh_session()
    sample_numbers = metrics(single)

    a, b = upload(fresh_session(), NAME, EXPORT_A), upload(fresh_session(), NAME, EXPORT_B)
    source_a: DataSource = a.session_state[StateKeys.UPLOAD]
    source_b: DataSource = b.session_state[StateKeys.UPLOAD]
    assert source_a is not source_b and source_a.con is not source_b.con
    numbers_a, numbers_b = review_headline(a), review_headline(b)
    assert a.session_state[StateKeys.ACTIVE_SOURCE] is source_a and b.session_state[StateKeys.ACTIVE_SOURCE] is source_b
    # Each page shows what the core computes from that session's own upload, and the two differ.
    for at, numbers, source in ((a, numbers_a, source_a), (b, numbers_b, source_b)):
        head = review.headline(source, at.session_state[StateKeys.ACTIVE_FILTERS])
        assert numbers["Clocks met"] == f"{head.month.met:,}" and numbers["Clocks breached"] == f"{head.month.breached:,}"
    assert (numbers_a["Clocks met"], numbers_a["Clocks breached"]) == ("8", "0")
    assert (numbers_b["Clocks met"], numbers_b["Clocks breached"]) == ("4", "4")

    # A session that uploaded nothing still sees the sample, with the single session's numbers.
    other = fresh_session()
    assert other.session_state[StateKeys.ACTIVE_SOURCE].kind == "sample"
    assert StateKeys.UPLOAD not in other.session_state
    assert metrics(other) == sample_numbers
    # And A, rerun after B's upload, still sees its own.
    assert review_headline(a) == numbers_a


def test_the_simulator_keeps_an_uploads_replay_in_its_own_session():
    a, b = upload(fresh_session(), NAME, EXPORT_A), upload(fresh_session(), NAME, EXPORT_B)
    for at in (a, b):
        at.switch_page("pages/simulator.py").run()
        assert not at.exception, [e.value for e in at.exception]
    private_a, private_b = a.session_state["sim_private"], b.session_state["sim_private"]
    assert private_a["key"][:2] == ("upload", a.session_state[StateKeys.UPLOAD].version)
    assert private_b["key"][:2] == ("upload", b.session_state[StateKeys.UPLOAD].version)
    assert private_a["baseline"] is not private_b["baseline"]
