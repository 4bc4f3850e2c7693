"""Rubric simulator: move the rubric, thresholds and targets, replay a period, see what moves."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Optional

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from sla_core import simulate as sim
from sla_core.analysis.datasource import DataSource, policy_fingerprint
from sla_core.csv_safe import frame_csv_bytes
from sla_core.policy import Policy, PolicyError, format_duration
from sla_core.vocab import FACTORS, METRICS, TIERS
from ui.sidebar import require_data
from ui.widgets import download, pct


class SimKeys:
    """Session-state keys of this page (widget keys are built from these prefixes)."""

    PERIOD = "sim_period"
    CAPACITY = "sim_capacity"
    WEIGHT = "sim_weight_"  # + factor
    SCALE = "sim_scale_"  # + factor + "__" + key
    THRESHOLD = "sim_threshold_"  # + tier
    TARGET = "sim_target_"  # + tier + "__" + metric (hours; 0 = untimed)
    CELL = "sim_cell"  # AUTO_CELL or "current|candidate"
    SCENARIO_NAME = "sim_scenario_name"
    SCENARIOS = "sim_scenarios"  # name -> {"yaml": str, "summary": dict}
    SCENARIO_PICK = "sim_scenario_pick"
    RESULT = "sim_result"  # (candidate fingerprint, period, Simulation) of this session
    PRIVATE = "sim_private"  # an upload's baseline / replays (never in the shared cache)
    SEEN_SOURCE = "sim_seen_source"  # the data set the period was chosen for


INPUT_PREFIXES = (SimKeys.WEIGHT, SimKeys.SCALE, SimKeys.THRESHOLD, SimKeys.TARGET)


def source_key(source: DataSource) -> tuple:
    return (source.kind, source.version, policy_fingerprint(source.policy), source.as_of.isoformat())


# The sample and the store are shared by every session, so their current side is too; an upload is not.
@st.cache_resource(max_entries=2, ttl=3600, show_spinner="Judging every ticket under the current rubric…")
def _shared_baseline(key: tuple, _source: DataSource) -> sim.Baseline:
    return sim.prepare_baseline(_source.con, _source.policy, _source.as_of)


@st.cache_resource(max_entries=6, ttl=3600, show_spinner="Preparing the period…")
def _shared_replay(key: tuple, start: Optional[date], end: Optional[date], _baseline: sim.Baseline) -> sim.Replay:
    return sim.prepare_replay(_baseline, sim.Period(start, end))


def baseline_for(source: DataSource) -> sim.Baseline:
    """The current side: shared for the sample and the store, private to the session for an upload."""
    key = source_key(source)
    if source.kind != "upload":
        return _shared_baseline(key, source)
    held: dict[str, Any] = st.session_state.get(SimKeys.PRIVATE) or {}
    if held.get("key") != key:
        with st.spinner("Judging every ticket under the current rubric…"):
            held = {"key": key, "baseline": sim.prepare_baseline(source.con, source.policy, source.as_of),
                    "replays": {}}
        st.session_state[SimKeys.PRIVATE] = held
    return held["baseline"]


def replay_for(source: DataSource, baseline: sim.Baseline, period: sim.Period) -> sim.Replay:
    if source.kind != "upload":
        return _shared_replay(source_key(source), period.start, period.end, baseline)
    replays = st.session_state[SimKeys.PRIVATE]["replays"]
    if period not in replays:
        replays.clear()
        with st.spinner("Preparing the period…"):
            replays[period] = sim.prepare_replay(baseline, period)
    return replays[period]


def seed_inputs(policy: Policy) -> None:
    """Every input starts at the current policy's value (kept while the user moves it)."""
    rubric = policy.rubric
    if rubric is not None:
        for factor in FACTORS:
            st.session_state.setdefault(f"{SimKeys.WEIGHT}{factor}", float(rubric.weights.get(factor, 0.0)))  # type: ignore[call-overload]
            for key, score in rubric.scales.get(factor, {}).items():  # type: ignore[call-overload]
                st.session_state.setdefault(f"{SimKeys.SCALE}{factor}__{str(key).lower()}", float(score))
        for tier, value in rubric.thresholds.items():
            st.session_state.setdefault(f"{SimKeys.THRESHOLD}{tier}", float(value))
    for tier in TIERS:
        for metric in METRICS:
            seconds = policy.tiers[tier].target(metric)[1]  # type: ignore[index]
            st.session_state.setdefault(f"{SimKeys.TARGET}{tier}__{metric}", (seconds or 0) / 3600)


def reset_inputs() -> None:
    for key in [k for k in st.session_state if str(k).startswith(INPUT_PREFIXES)]:
        del st.session_state[key]
    st.session_state.pop(SimKeys.CELL, None)


AUTO_CELL = "auto"


def cell_label(cell: str) -> str:
    return "Biggest move" if cell == AUTO_CELL else " → ".join(cell.split("|"))


def changes_from_inputs(policy: Policy) -> sim.CandidateChanges:
    state = st.session_state
    weights = {f: round(state[f"{SimKeys.WEIGHT}{f}"], 4) for f in FACTORS if f"{SimKeys.WEIGHT}{f}" in state}
    scales: dict[str, dict[str, float]] = {}
    for factor, scale in (policy.rubric.scales.items() if policy.rubric else []):
        scales[factor] = {str(k).lower(): round(state[f"{SimKeys.SCALE}{factor}__{str(k).lower()}"], 4) for k in scale}
    thresholds = {t: round(state[f"{SimKeys.THRESHOLD}{t}"], 4) for t in ("critical", "high", "medium")
                  if f"{SimKeys.THRESHOLD}{t}" in state}
    targets = []
    for tier in TIERS:
        for metric in METRICS:
            hours = float(state[f"{SimKeys.TARGET}{tier}__{metric}"] or 0)
            targets.append(sim.TargetChange(
                tier=tier, metric=metric, target=format_duration(round(hours * 3600)) if hours > 0 else None))
    return sim.CandidateChanges(weights=weights, scales=scales, thresholds=thresholds, targets=targets)


source, _filters = require_data("simulator")
policy = source.policy
st.title("Rubric simulator")
if policy.rubric is None:
    st.info("The policy has no `rubric:` section, so there is nothing to simulate. Add one (see the README).")
    st.stop()

# ---- period and capacity
baseline = baseline_for(source)
default_period = baseline.default_period
if st.session_state.get(SimKeys.SEEN_SOURCE) != source_key(source):  # another data set: its own default period
    st.session_state.pop(SimKeys.PERIOD, None)
    st.session_state[SimKeys.SEEN_SOURCE] = source_key(source)
top = st.columns([2, 1, 3])
if default_period.start is not None:
    st.session_state.setdefault(SimKeys.PERIOD, (default_period.start, default_period.end - timedelta(days=1)))
    picked = top[0].date_input("Replay tickets created", key=SimKeys.PERIOD,
                               help="Default: the last full quarter of the data (policy timezone).")
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        st.info("Pick the last day of the period too.")
        st.stop()
    period = sim.Period(picked[0], picked[1] + timedelta(days=1))
else:
    top[0].caption("Less than a quarter of data: replaying all of it.")
    period = sim.Period()
replay = replay_for(source, baseline, period)
# Until the user sets one, the capacity is what on-call already took in the busiest week of the period.
st.session_state.setdefault(SimKeys.CAPACITY, max(5, -(-sim.busiest_on_call_week(replay) // 5) * 5))
capacity = int(top[1].number_input("On-call capacity per week", min_value=0, step=5, key=SimKeys.CAPACITY,
                                   help="Critical + high tickets engineering on-call can take in a week "
                                        "(default: the busiest week of the period under the current policy)."))
top[2].caption(
    f"{source.label} · {replay.ticket_count:,} tickets created {period.label()} · clocks judged at "
    f"{source.as_of.astimezone(policy.zone):%Y-%m-%d %H:%M} ({policy.timezone}). The current side is the "
    "Review's: each ticket keeps the tier it was judged at, and moves only where the candidate's rubric tiers it "
    "differently from the current rubric."
)
if replay.ticket_count == 0:
    st.info("No tickets were created in this period. Pick another one.")
    st.stop()

# ---- the inputs, starting from the current policy
seed_inputs(policy)
with st.sidebar:
    st.subheader("Candidate policy")
    st.button("Reset to the current policy", on_click=reset_inputs, key="sim_reset", icon=":material/restart_alt:")
    with st.expander("Weights", expanded=True):
        for factor in FACTORS:
            st.slider(factor.replace("_", " "), -1.0, 1.0, step=0.01, key=f"{SimKeys.WEIGHT}{factor}")
    with st.expander("Thresholds (score ≥ threshold → tier)", expanded=True):
        for tier in ("critical", "high", "medium"):
            st.slider(tier, 0.0, 1.5, step=0.01, key=f"{SimKeys.THRESHOLD}{tier}")
    with st.expander("Scale values"):
        for factor, scale in policy.rubric.scales.items():
            st.markdown(f"**{factor.replace('_', ' ')}**")
            for key in scale:
                label = f"≥ {key} customers" if factor == "customers_affected" else str(key).lower()
                st.slider(label, 0.0, 1.0, step=0.05, key=f"{SimKeys.SCALE}{factor}__{str(key).lower()}")
    with st.expander("Targets (hours of the metric's calendar; 0 = untimed)"):
        for tier in TIERS:
            st.markdown(f"**{tier}** ({policy.tiers[tier].calendar or '24x7'})")  # type: ignore[index]
            cols = st.columns(3)
            for col, metric in zip(cols, METRICS):
                calendar = policy.tiers[tier].target(metric)[0]  # type: ignore[index]
                own = calendar != (policy.tiers[tier].calendar or "24x7")  # type: ignore[index]
                col.number_input(metric.replace("_", " ") + (f" ({calendar})" if own else ""), min_value=0.0,
                                 step=0.5, format="%g", key=f"{SimKeys.TARGET}{tier}__{metric}")
        if policy.segments:
            st.caption("Segment overrides (" + ", ".join(policy.segments) + ") are kept as they are.")

try:
    candidate = sim.apply_changes(policy, changes_from_inputs(policy))
except PolicyError as err:
    st.error(f"This candidate is not a valid policy: {err}", icon=":material/error:")
    st.stop()
for warning in sim.targets_warnings(candidate):
    st.warning(f"Targets sanity: {warning}", icon=":material/warning:")

# ---- simulate (once per candidate and period in this session)
fingerprint = (source_key(source), period, policy_fingerprint(candidate))
held = st.session_state.get(SimKeys.RESULT)
if held is None or held[0] != fingerprint:
    if held is not None:
        held[1].close()
    result = sim.simulate(replay, candidate)
    st.session_state[SimKeys.RESULT] = (fingerprint, result)
else:
    result = held[1]

matrix = result.transition_matrix()
adherence = result.adherence()
load = result.on_call_load(capacity)
changed_total = result.changed_count()
moved = sim.scenario_summary(matrix, adherence, load)["change tier"]
head = st.columns(4)
head[0].metric("Tickets replayed", f"{replay.ticket_count:,}")
head[1].metric("Change tier", f"{moved:,}")
head[2].metric("Change tier or state", f"{changed_total:,}")
head[3].metric("Re-judged in", f"{result.timings.total:.2f} s",
               help=f"{result.affected:,} tickets could differ and were re-evaluated; the rest keep their result.")

# ---- transition matrix and the tickets behind a cell
st.subheader("Tier transitions")
st.dataframe(matrix, key="sim_matrix")
st.caption("Rows: tier under the current policy; columns: under the candidate. Each ticket counted once, by its "
           "tier at creation.")
off = [(a, b) for a in matrix.index for b in matrix.columns if a != b and matrix.loc[a, b] > 0]
tiers = list(matrix.index)
# "Biggest move" follows the inputs; a picked cell stays. The script never sets the widget's value:
# a value set by the script can race with a browser still sending the previous one on quick moves.
cells = [AUTO_CELL, *(f"{a}|{b}" for a in tiers for b in tiers)]
pick = st.columns([2, 2])
cell = pick[0].selectbox("Tickets behind the cell (current tier → candidate tier)", cells, format_func=cell_label,
                         key=SimKeys.CELL)
if cell == AUTO_CELL:
    cell_from, cell_to = max(off, key=lambda c: matrix.loc[c]) if off else (tiers[0], tiers[0])
else:
    cell_from, cell_to = cell.split("|")
in_cell = int(matrix.loc[cell_from, cell_to])
pick[1].markdown(f"\n\n**{in_cell:,}** tickets {cell_from} → {cell_to}" + (" (the newest 500 shown)" if in_cell > 500 else ""))
st.dataframe(result.cell_tickets(cell_from, cell_to, limit=500), hide_index=True, key="sim_cell_table", height=250)

# ---- adherence
st.subheader("Adherence per tier and metric")
shown = adherence.assign(
    current=[f"{pct(a)} ({m}/{m + b})" for a, m, b in
             zip(adherence.adherence_current, adherence.met_current, adherence.breached_current)],
    candidate=[f"{pct(a)} ({m}/{m + b})" for a, m, b in
               zip(adherence.adherence_candidate, adherence.met_candidate, adherence.breached_candidate)],
)[["tier", "metric", "current", "candidate", "delta_points"]]
st.dataframe(shown, hide_index=True, key="sim_adherence",
             column_config={"delta_points": st.column_config.NumberColumn("change (pts)", format="%+.1f")})
download(adherence, "simulated_adherence.csv", "sim_dl_adherence")

# ---- on-call load
st.subheader("Engineering on-call load: critical + high tickets per week")
over = load[load.over_candidate]
fig = go.Figure()
fig.add_bar(x=load.iso_week, y=load.current, name="current", marker_color="#8da0cb")
fig.add_bar(x=load.iso_week, y=load.candidate, name="candidate",
            marker_color=["#e0484d" if o else "#2e7dba" for o in load.over_candidate])
fig.add_hline(y=capacity, line_dash="dash", annotation_text=f"capacity {capacity}")
fig.update_layout(barmode="group", height=320, margin={"t": 30, "b": 10}, xaxis_title="ISO week",
                  yaxis_title="tickets")
st.plotly_chart(fig, key="sim_load_chart")
st.caption(f"{len(over)} of {len(load)} weeks over capacity under the candidate (red), "
           f"{int(load.over_current.sum())} under the current policy.")

# ---- changed tickets
st.subheader("Tickets that change tier or state, and why")
SHOWN = 2000
changed = result.changed_tickets(limit=SHOWN)
if changed.empty:
    st.success("Nothing changes: the candidate judges every ticket of the period as the current policy does.",
               icon=":material/check_circle:")
else:
    st.markdown(f"**{changed_total:,}** tickets" + (f" (the newest {SHOWN:,} shown)" if changed_total > SHOWN else ""))
    st.dataframe(changed, hide_index=True, key="sim_changed")
    st.download_button(  # built on click: every changed ticket, not only the rows shown
        "Download CSV", data=lambda: frame_csv_bytes(result.changed_tickets()), file_name="simulated_changes.csv",
        mime="text/csv", key="sim_dl_changed", on_click="ignore", icon=":material/download:",
    )

# ---- rubric agreement: apart from the moves, since the current side keeps the tiers people assigned
with st.expander("Rubric agreement: the impact people assigned vs the current rubric"):
    cal = sim.calibration(replay)
    st.markdown(f"The current rubric agrees with the assigned impact on **{pct(cal.agreement)}** of the "
                f"{cal.compared:,} tickets that have both. These tickets keep their assigned tier on both sides "
                "unless the candidate's rubric moves them.")
    st.dataframe(cal.matrix, key="sim_calibration")
    agree = st.columns(2)
    assigned = agree[0].selectbox("Assigned impact", list(TIERS), key="sim_agree_impact")
    by_rubric = agree[1].selectbox("Current rubric tier", list(TIERS), key="sim_agree_rubric",
                                   index=1 if assigned == TIERS[0] else 0)
    st.dataframe(sim.agreement_tickets(replay, assigned, by_rubric), hide_index=True, key="sim_agreement_cell",
                 height=240)

# ---- scenarios
st.subheader("Scenarios")
scenarios: dict[str, dict[str, Any]] = st.session_state.setdefault(SimKeys.SCENARIOS, {})
save = st.columns([3, 1])
name = save[0].text_input("Scenario name", key=SimKeys.SCENARIO_NAME, placeholder="e.g. severity-heavy")
if save[1].button("Save scenario", key="sim_save", icon=":material/bookmark_add:"):
    if not name.strip():
        st.warning("Give the scenario a name first.")
    else:
        scenarios[name.strip()] = {
            "yaml": candidate.to_yaml(),
            "summary": {"scenario": name.strip(), "change tier or state": changed_total,
                        **sim.scenario_summary(matrix, adherence, load)},
        }
        st.toast(f"Saved scenario {name.strip()!r}")
if scenarios:
    st.dataframe(pd.DataFrame([s["summary"] for s in scenarios.values()]), hide_index=True, key="sim_scenarios_table")
    chosen = st.selectbox("Scenario", list(scenarios), key=SimKeys.SCENARIO_PICK)
    text = scenarios[chosen]["yaml"]
    file_name = "policy_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in chosen) + ".yaml"
    st.download_button("Download policy YAML", data=text, file_name=file_name,
                       mime="application/x-yaml", key="sim_dl_yaml", on_click="ignore", icon=":material/download:")
    st.caption("A complete policy file: save it next to the current one (its playbook paths are relative) and "
               "check it with `python -m sla_core evaluate --policy FILE`. Its diff against the current policy:")
    st.code(sim.policy_diff(policy, text, candidate_name=file_name) or "(identical to the current policy)",
            language="diff")
else:
    st.caption("Save the current inputs under a name to compare scenarios side by side and download them as a "
               "policy file for `python -m sla_core evaluate --policy`.")
