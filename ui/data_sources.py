"""Where the pages' data comes from: the policy, the live sample, the store and this session's upload.

What is cached where is decided here: the policy per file version, the
sample and the store for every session per data version and policy
(st.cache_resource; never keyed by anything a user uploaded), an upload only
in its own session's state. What a page computes from the sample or the store
(`shared`, `shared_figure`) is cached for every session too, keyed by the data
set (`source_key`) and the arguments; from an upload, it is kept with the
upload, where no other session can reach it.
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable
from datetime import date, datetime, timezone
from pathlib import Path
from time import monotonic
from typing import Any, Optional, TypeVar

from pydantic import BaseModel

import streamlit as st

from sla_core import simulate as sim
from sla_core.ingest.store import store_path
from sla_core.now import now
from sla_core.policy import Policy, PolicyError, load_policy
from sla_core.sources import (
    DataSource,
    file_version,
    policy_path,
    sample_source,
    store_configured,
    store_problem,
    store_source,
)
from sla_core.sources import policy_fingerprint as _policy_fingerprint
from ui.state import StateKeys

SOURCE_LABELS = {"store": "Persistent store", "sample": "Bundled sample (demo)", "upload": "This session's upload"}


@st.cache_resource(show_spinner=False)
def _policy(path: str, version: str) -> Policy:
    return load_policy(path)


def current_policy() -> Policy:
    """The dashboard's policy, re-read when its file changes (one cached copy per file version)."""
    path = policy_path()
    return _policy(str(path), file_version(path, *sorted(path.parent.glob("playbooks/*.md"))))


def safe_policy() -> Optional[Policy]:
    """The policy, or None after showing why it cannot be used."""
    try:
        return current_policy()
    except PolicyError as err:
        st.error(f"The policy file cannot be used: {err}")
        return None


_FINGERPRINTS: dict[int, tuple[Policy, str]] = {}


def policy_fingerprint(policy: Policy) -> str:
    """sla_core's policy_fingerprint, once per policy object: it writes the whole policy out as YAML (2 ms), and
    every run asks for it several times (the cache keys of the sources and of what pages compute from them). A
    Policy is frozen; the object is held with its fingerprint, so its id cannot be reused by another."""
    held = _FINGERPRINTS.get(id(policy))
    if held is None or held[0] is not policy:
        if len(_FINGERPRINTS) > 32:  # a policy per file version and per simulator candidate: drop the old ones
            _FINGERPRINTS.clear()
        held = _FINGERPRINTS[id(policy)] = (policy, _policy_fingerprint(policy))
    return held[1]


@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Evaluating the sample's SLA clocks…")
def _sample(hour: str, policy_key: str, _policy: Policy, _as_of: datetime) -> DataSource:
    return sample_source(_policy, _as_of)


@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Evaluating the store's SLA clocks…")
def _store(path: str, version: str, policy_key: str, _policy: Policy) -> DataSource:
    return store_source(_policy, Path(path))


def sample_data_source(policy: Policy) -> DataSource:
    """The live sample, shared by every session: as it stood when first asked for in this hour."""
    as_of = now()
    hour = as_of.astimezone(timezone.utc).replace(minute=0, second=0, microsecond=0)
    return _sample(hour.isoformat(), policy_fingerprint(policy), policy, as_of)


_SOUND_STORES: dict[tuple[str, str], bool] = {}  # (store, version) found readable and holding tickets


def _store_problem(path: Path, version: str) -> Optional[str]:
    """store_problem, asked once per version of the file that had none: the peek opens the store (30 ms, and
    a moment an import would wait for), and every run of every session asks. A problem is asked again each
    run: a store busy or not yet filled may be fine the next moment without its file changing."""
    key = (str(path.resolve()), version)
    if key in _SOUND_STORES:
        return None
    problem = store_problem(path)
    if problem is None:
        if len(_SOUND_STORES) > 64:
            _SOUND_STORES.clear()
        _SOUND_STORES[key] = True
    return problem


def store_data_source(policy: Policy) -> Optional[DataSource]:
    """The store's evaluated data, or None after saying in the sidebar why there is none."""
    path = store_path()
    version = file_version(path, Path(f"{path}.wal"))
    problem = _store_problem(path, version)
    if problem is not None:
        st.sidebar.warning(problem + " Pick another data source meanwhile.")
        return None
    return _store(str(path.resolve()), version, policy_fingerprint(policy), policy)


DATA_PARAM = "data"  # the link's data source: ?data=store or ?data=sample


def notice(text: str) -> None:
    """Say, at the top of the page, what a link or a change of data asked for that this data does not have;
    it stays until the reader changes a filter or the data source."""
    notices: list[str] = st.session_state.setdefault(StateKeys.NOTICES, [])
    if text not in notices:
        notices.append(text)


def clear_notices() -> None:
    st.session_state[StateKeys.NOTICES] = []


def _read_link_source() -> None:
    """The data source the link names (once per session): a shared link opens on the data it was made on."""
    if st.session_state.get(StateKeys.SOURCE_LINK_READ):
        return
    st.session_state[StateKeys.SOURCE_LINK_READ] = True
    linked = st.query_params.get(DATA_PARAM)
    if linked in ("sample", "store"):
        st.session_state[StateKeys.CHOSEN_SOURCE] = linked
    elif linked == "upload":
        notice("This link was made on an upload, which only its own browser session can see: showing "
               f"the {SOURCE_LABELS[st.session_state[StateKeys.CHOSEN_SOURCE]].lower()} instead.")
    elif linked:
        notice(f"URL parameter {DATA_PARAM}={linked!r} ignored: use store or sample.")


def _on_source_change() -> None:
    st.session_state[StateKeys.CHOSEN_SOURCE] = st.session_state[StateKeys.SOURCE]
    clear_notices()


def source_picker(policy: Policy) -> Optional[DataSource]:
    """The sidebar's data source radio (a team's store first when there is one); returns the chosen source, or
    None when it has no data. The choice travels in the link (?data=)."""
    _read_link_source()
    pending = st.session_state.pop(StateKeys.PENDING_SOURCE, None)
    if pending is not None:
        st.session_state[StateKeys.CHOSEN_SOURCE] = pending
    options = ["store", "sample"] + (["upload"] if StateKeys.UPLOAD in st.session_state else [])
    chosen = st.session_state.get(StateKeys.CHOSEN_SOURCE, "sample")
    st.session_state[StateKeys.SOURCE] = chosen if chosen in options else "sample"
    kind = st.sidebar.radio(
        "Data source", options, format_func=SOURCE_LABELS.__getitem__, key=StateKeys.SOURCE,
        on_change=_on_source_change,
        help="Your team's persistent store (python -m sla_core import … or sync), the bundled sample (demo data), "
        "or a file uploaded in this browser session (only you see it).",
    )
    st.session_state[StateKeys.CHOSEN_SOURCE] = kind
    if kind in ("store", "sample") and st.query_params.get(DATA_PARAM) != kind:
        st.query_params[DATA_PARAM] = kind
    elif kind == "upload" and DATA_PARAM in st.query_params:
        del st.query_params[DATA_PARAM]  # an upload cannot be shared: a link made on it names no data
    if kind == "upload":
        return st.session_state[StateKeys.UPLOAD]
    if kind == "store":
        return store_data_source(policy)
    return sample_data_source(policy)


def demo_banner(source: DataSource) -> None:
    """The bundled sample is a demo, said on every page it is shown on, so its numbers are never taken for a
    team's own."""
    configured = store_path()
    where = (f"Your store `{configured}` is one click away in the sidebar (Persistent store)." if store_configured()
             else "To see your own tickets, import an export into a store (`python -m sla_core import FILE "
             "--source …`) and start the board with `SLA_BOARD_DB` pointing at it.")
    st.warning(f"**Demo data: the bundled sample**, generated for today, not a team's tickets. {where}",
               icon=":material/science:")


def source_key(source: DataSource) -> tuple[str, str, str, str]:
    """What a simulation's current side, and every figure a page computes, depends on: the data, the policy and
    the instant judged at."""
    return (source.kind, source.version, policy_fingerprint(source.policy), source.as_of.isoformat())


T = TypeVar("T")


def _spelled(value: Any) -> str:
    """An argument of a shared computation in words, for its cache key (filters by their JSON)."""
    return value.model_dump_json() if isinstance(value, BaseModel) else repr(value)


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _shared_data(what: str, data: tuple[str, str, str, str], arguments: str, _compute: Callable[[], Any]) -> Any:
    return _compute()


@st.cache_resource(max_entries=128, ttl=3600, show_spinner=False)
def _shared_object(what: str, data: tuple[str, str, str, str], arguments: str, _compute: Callable[[], Any]) -> Any:
    return _compute()


# An upload's computations, kept with the upload object (they go when it goes): only the session that holds the
# upload can look them up, and no cache every session reads ever sees them.
_UPLOAD_MEMO: weakref.WeakKeyDictionary[DataSource, dict[tuple[str, str], Any]] = weakref.WeakKeyDictionary()
_UPLOAD_MEMO_LOCK = threading.Lock()
_UPLOAD_MEMO_ENTRIES = 64


def _in_upload(source: DataSource, what: str, arguments: str, compute: Callable[[], T]) -> T:
    key = (what, arguments)
    with _UPLOAD_MEMO_LOCK:
        memo = _UPLOAD_MEMO.setdefault(source, {})
        if key in memo:
            return memo[key]
    value = compute()
    with _UPLOAD_MEMO_LOCK:
        while len(memo) >= _UPLOAD_MEMO_ENTRIES:
            memo.pop(next(iter(memo)))  # the oldest
        memo[key] = value
    return value


def shared_value(what: str, source: DataSource, arguments: tuple[Any, ...], compute: Callable[[], T], *,
                 copied: bool = True) -> T:
    """`compute()`, run once per data set and arguments for the whole server.

    What the pages show of the sample or the store depends only on the data set (`source_key`: kind, data
    version, policy, as_of) and on what it is computed with, `arguments` (the filters, a metric, a drill-down
    cell: all of them, as `what` names the computation), so the first session to ask computes it and every later
    one (a new visitor, a rerun) reads it: st.cache_data, a copy for each caller, or with `copied=False`
    st.cache_resource, the same object for every caller, which none may change. An upload's is computed in its
    own session and kept with the upload (`_in_upload`), never in a cache another session reads.
    """
    key = "|".join(map(_spelled, arguments))
    if source.kind == "upload":
        return _in_upload(source, what, key, compute)
    return (_shared_data if copied else _shared_object)(what, source_key(source), key, compute)


def shared(compute: Callable[..., T], source: DataSource, *args: Any, **kwargs: Any) -> T:
    """`compute(source, *args, **kwargs)` once per data set and arguments for the whole server (`shared_value`):
    a core function of the data set and the arguments it is given, and of nothing else."""
    arguments = (*args, *(f"{name}={_spelled(value)}" for name, value in sorted(kwargs.items())))
    return shared_value(f"{compute.__module__}.{compute.__qualname__}", source, arguments,
                        lambda: compute(source, *args, **kwargs))


def shared_figure(what: str, source: DataSource, arguments: tuple[Any, ...], build: Callable[[], T]) -> T:
    """A chart built once per data set and arguments (`what` names the chart, `arguments` what it is drawn from
    besides the data set: the filters, a metric) and handed to every session as the same object: a plotly
    figure costs more to copy than to draw, and st.plotly_chart only reads it. Never change a figure it returns."""
    return shared_value(f"figure:{what}", source, arguments, build, copied=False)


_SETTLE_LOCK = threading.Lock()
_SETTLE_EVERY = 3600.0  # seconds between two settlings
_settled_at: Optional[float] = None


def settle_process() -> None:
    """After a page is drawn, at most once an hour: hide what is alive from the garbage collector's full passes.

    Streamlit runs a full collection after every script run (`runner.postScriptGC`), and a full collection walks
    every tracked object: about 160,000 once the app's imports are in (Streamlit, pandas, plotly, holidays,
    pydantic), 65 ms a run, a quarter of the server CPU a new session cost. Nearly all of them live as long as
    the process, so the collector walks them for nothing: `gc.freeze()` moves what is alive now to a generation
    it never scans, and what sessions create later is collected as before. A frozen object is still freed when
    nothing refers to it; one in a reference cycle (a session that was open at the freeze, with what its state
    held) is not, until the next settling, an hour later at most, thaws everything, collects and freezes again.
    """
    global _settled_at
    if _settled_at is not None and monotonic() - _settled_at < _SETTLE_EVERY:
        return
    if not _SETTLE_LOCK.acquire(blocking=False):  # another session is settling right now
        return
    try:
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        _settled_at = monotonic()
    finally:
        _SETTLE_LOCK.release()


# The sample and the store are shared by every session, so their current side is too; an upload is not.
@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Judging every ticket as the Review does…")
def _shared_baseline(key: tuple[str, str, str, str], _source: DataSource) -> sim.Baseline:
    return sim.prepare_baseline(_source.con, _source.policy, _source.as_of)


@st.cache_resource(max_entries=6, ttl=3600, show_spinner="Preparing the period…")
def _shared_replay(key: tuple[str, str, str, str], start: Optional[date], end: Optional[date],
                   _baseline: sim.Baseline) -> sim.Replay:
    return sim.prepare_replay(_baseline, sim.Period(start, end))


def simulation_baseline(source: DataSource) -> sim.Baseline:
    """The simulator's current side: shared for the sample and the store, private to the session for an upload."""
    key = source_key(source)
    if source.kind != "upload":
        return _shared_baseline(key, source)
    held: dict[str, Any] = st.session_state.get(StateKeys.SIM_PRIVATE) or {}
    if held.get("key") != key:
        with st.spinner("Judging every ticket as the Review does…"):
            held = {"key": key, "baseline": sim.prepare_baseline(source.con, source.policy, source.as_of),
                    "replays": {}}
        st.session_state[StateKeys.SIM_PRIVATE] = held
    return held["baseline"]


def simulation_replay(source: DataSource, baseline: sim.Baseline, period: sim.Period) -> sim.Replay:
    """A period of the current side, prepared once (per data set for the shared sources, per session else)."""
    if source.kind != "upload":
        return _shared_replay(source_key(source), period.start, period.end, baseline)
    replays = st.session_state[StateKeys.SIM_PRIVATE]["replays"]
    if period not in replays:
        replays.clear()
        with st.spinner("Preparing the period…"):
            replays[period] = sim.prepare_replay(baseline, period)
    return replays[period]
