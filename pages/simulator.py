"""Rubric simulator: move the rubric, thresholds and targets, replay a period, see what moves."""

from __future__ import annotations

import streamlit as st

from sla_core import simulate as sim
from sla_core.csv_safe import frame_csv_bytes
from sla_core.policy import PolicyError
from sla_core.policy.teams import on_call_words
from sla_core.present import words
from sla_core.present.charts import on_call_figure
from sla_core.sources import policy_fingerprint
from sla_core.vocab import METRICS
from ui.candidate import candidate_inputs, replay_controls, rubric_inputs_note
from ui.data_sources import source_key
from ui.scenarios import scenarios_section
from ui.sidebar import require_data
from ui.sim_agreement import rubric_agreement
from ui.state import StateKeys
from ui.widgets import download, pct, table

AUTO_CELL = "auto"


def cell_label(cell: str) -> str:
    return "Biggest move" if cell == AUTO_CELL else " → ".join(cell.split("|"))


source, _filters = require_data("simulator")
policy = source.policy
st.title("Rubric simulator")
if policy.rubric is None:
    st.info("The policy has no `rubric:` section, so there is nothing to simulate. Add one (see the README).")
    st.stop()

replay, period, capacity = replay_controls(source)
if replay.ticket_count == 0:
    st.info("No tickets were created in this period. Pick another one.")
    st.stop()

rubric_inputs_note(replay)
inputs, inputs_query, problems = candidate_inputs(policy, source.records)
if problems:
    st.warning("The candidate cannot be judged as it stands: " + " ".join(problems.values()), icon=":material/error:")
    st.stop()
try:
    candidate = sim.apply_changes(policy, sim.changes_from_inputs(policy, inputs))
except PolicyError as err:
    st.error(f"This candidate is not a valid policy: {err}", icon=":material/error:")
    st.stop()
for warning in sim.targets_warnings(candidate):
    st.warning(f"Targets sanity: {warning}", icon=":material/warning:")

# ---- simulate (once per candidate and period in this session)
fingerprint = (source_key(source), period, policy_fingerprint(candidate))
held = st.session_state.get(StateKeys.SIM_RESULT)
if held is None or held[0] != fingerprint:
    if held is not None:
        held[1].close()
    result = sim.simulate(replay, candidate)
    st.session_state[StateKeys.SIM_RESULT] = (fingerprint, result)
else:
    result = held[1]

matrix = result.transition_matrix()
adherence = result.adherence()
load = result.on_call_load(capacity)
changed_total = result.changed_count()
summary = sim.scenario_summary(matrix, adherence, load)
moved = summary["change tier"]
head = st.columns(4)
head[0].metric("Tickets replayed", f"{replay.ticket_count:,}")
head[1].metric("Change tier", f"{moved:,}")
head[2].metric("Change tier or state", f"{changed_total:,}")
effect = summary["adherence change (pts)"]
head[3].metric("Adherence change", "—" if effect is None else f"{effect:+.1f} pts", help=(
    "Every clock of the period, candidate minus current. Per clock: " + ", ".join(
        f"{words.value(m)} {summary[f'{m} adherence change (pts)']:+.1f}" for m in METRICS
        if summary[f"{m} adherence change (pts)"] is not None)))
st.caption(f"Re-judged {result.affected:,} tickets that could differ in {result.timings.total:.2f} s; the rest keep "
           "their result.")

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
                         key=StateKeys.SIM_CELL)
if cell == AUTO_CELL:
    cell_from, cell_to = max(off, key=lambda c: matrix.loc[c]) if off else (tiers[0], tiers[0])
else:
    cell_from, cell_to = cell.split("|")
in_cell = int(matrix.loc[cell_from, cell_to])
pick[1].markdown(f"\n\n**{in_cell:,}** tickets {cell_from} → {cell_to}" + (" (the newest 500 shown)" if in_cell > 500 else ""))
table(result.cell_tickets(cell_from, cell_to, limit=500), "sim_cell_table", height=250, zone=policy.timezone)

# ---- adherence
st.subheader("Adherence per tier and metric")
shown = adherence.assign(
    current=[f"{pct(a)} ({m}/{m + b})" for a, m, b in
             zip(adherence.adherence_current, adherence.met_current, adherence.breached_current)],
    candidate=[f"{pct(a)} ({m}/{m + b})" for a, m, b in
               zip(adherence.adherence_candidate, adherence.met_candidate, adherence.breached_candidate)],
)[["tier", "metric", "current", "candidate", "delta_points"]]
table(shown, "sim_adherence", column_config={
    words.label("delta_points"): st.column_config.NumberColumn(format="%+.1f")})
download(adherence, "simulated_adherence.csv", "sim_dl_adherence")

# ---- on-call load
st.subheader(f"Engineering on-call load: {on_call_words(policy)} tickets per week")
st.caption("On-call tiers are those whose route in the policy's `routes` names a `join_within` window.")
over = load[load.over_candidate]
st.plotly_chart(on_call_figure(load, capacity), key="sim_load_chart")
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
    table(changed, "sim_changed", zone=policy.timezone)
    st.download_button(  # built on click: every changed ticket, not only the rows shown
        "Download CSV", data=lambda: frame_csv_bytes(result.changed_tickets()), file_name="simulated_changes.csv",
        mime="text/csv", key="sim_dl_changed", on_click="ignore", icon=":material/download:",
    )

# ---- rubric agreement: apart from the moves, since the current side keeps the tiers people assigned
rubric_agreement(replay)

# ---- scenarios
scenarios_section(source, candidate, {"change tier or state": changed_total, **summary}, inputs_query)
