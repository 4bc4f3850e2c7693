"""The simulator's controls: the period and capacity above the results, the candidate inputs in the sidebar.

Every widget holds one named input (sla_core.simulate.inputs); the URL's
`candidate` parameter lists those that differ from the current policy, so a
candidate survives a reload and can be shared as a link.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import streamlit as st

from sla_core import simulate as sim
from sla_core.ingest.store import StoreError
from sla_core.policy import Policy
from sla_core.policy.teams import on_call_words
from sla_core.simulate import scenarios
from sla_core.sources import DataSource
from sla_core.vocab import FACTORS, METRICS, TIERS
from ui.data_sources import simulation_baseline, simulation_replay, source_key
from ui.state import StateKeys

URL_PARAM = "candidate"
SCENARIO_PARAM = "scenario"  # a saved scenario's name (sla_core.simulate.scenarios), opened into the inputs


def _key(name: str) -> str:
    return f"{StateKeys.SIM_INPUT}{name}"


def _seed(policy: Policy, records: Path) -> None:
    """Inputs start at the link's values (once per session: a saved scenario it names, else its candidate),
    else at the current policy's."""
    linked: dict[str, float] = {}
    if not st.session_state.get(StateKeys.SIM_URL_READ):
        query = st.query_params.get(URL_PARAM, "")
        name = st.query_params.get(SCENARIO_PARAM)
        if name:
            try:
                found = scenarios.find_scenario(name, records)
            except StoreError as err:
                st.sidebar.warning(f"The saved scenario {name!r} cannot be read right now: {err}")
                found = None
            if found is None:
                st.sidebar.warning(f"URL parameter scenario={name!r} ignored: no saved scenario has that name.")
                st.query_params.pop(SCENARIO_PARAM, None)
            else:
                query = found.inputs
        linked, problems = sim.inputs_from_query(policy, query)
        for problem in problems:
            st.sidebar.warning(problem)
        st.session_state[StateKeys.SIM_URL_READ] = True
    for name, value in sim.current_inputs(policy).items():
        if name in linked:
            st.session_state[_key(name)] = linked[name]
        st.session_state.setdefault(_key(name), value)


def open_scenario(policy: Policy, name: str, query: str) -> None:
    """Set the inputs to a saved scenario's (a button's callback, before the sliders are drawn)."""
    reset_inputs()
    values, _ = sim.inputs_from_query(policy, query)
    for key, value in (sim.current_inputs(policy) | values).items():
        st.session_state[_key(key)] = value
    st.query_params[SCENARIO_PARAM] = name


def reset_inputs() -> None:
    for key in [k for k in st.session_state if str(k).startswith(StateKeys.SIM_INPUT)]:
        del st.session_state[key]
    st.session_state.pop(StateKeys.SIM_CELL, None)


def _problem_here(problems: dict[str, str], group: str) -> None:
    """A bad candidate's sentence, next to the inputs that caused it."""
    if group in problems:
        st.error(problems[group], icon=":material/error:")


def candidate_inputs(policy: Policy, records: Path) -> tuple[dict[str, float], str, dict[str, str]]:
    """Draw the inputs in the sidebar; returns their values, their link text and what makes them unusable (one
    sentence per group of inputs, shown beside them). A usable candidate is written into the URL (dropping a
    scenario name the inputs no longer match); an unusable one never is, so a link keeps the last good one."""
    _seed(policy, records)
    inputs = {name: float(st.session_state[_key(name)]) for name in sim.current_inputs(policy)}
    problems = sim.input_problems(inputs)
    low, high = sim.RANGES["target"]
    with st.sidebar:
        st.subheader("Candidate policy")
        st.button("Reset to the current policy", on_click=reset_inputs, key="sim_reset", icon=":material/restart_alt:")
        with st.expander("Weights", expanded=True):
            _problem_here(problems, "weight")
            for factor in FACTORS:
                st.slider(factor.replace("_", " "), -1.0, 1.0, step=0.01, key=_key(f"weight.{factor}"))
        with st.expander("Thresholds (score ≥ threshold → tier)", expanded=True):
            _problem_here(problems, "threshold")
            for tier in sim.THRESHOLD_TIERS:
                st.slider(tier, 0.0, 1.5, step=0.01, key=_key(f"threshold.{tier}"))
        with st.expander("Scale values", expanded="scale" in problems):
            _problem_here(problems, "scale")
            for factor, scale in (policy.rubric.scales.items() if policy.rubric else []):
                st.markdown(f"**{factor.replace('_', ' ')}**")
                for key in scale:
                    label = f"≥ {key} customers" if factor == "customers_affected" else str(key).lower()
                    st.slider(label, 0.0, 1.0, step=0.05, key=_key(f"scale.{factor}.{str(key).lower()}"))
        with st.expander("Targets (hours of the metric's calendar; 0 = untimed)", expanded="target" in problems):
            _problem_here(problems, "target")
            for tier in TIERS:
                st.markdown(f"**{tier}** ({policy.tiers[tier].calendar or '24x7'})")
                for metric in METRICS:
                    calendar = policy.tiers[tier].target(metric)[0]
                    own = calendar != (policy.tiers[tier].calendar or "24x7")
                    st.number_input(f"{tier} {metric.replace('_', ' ')}, hours" + (f" ({calendar})" if own else ""),
                                    min_value=low, max_value=high, step=0.5, format="%g",
                                    key=_key(f"target.{tier}.{metric}"))
            if policy.segments:
                st.caption("Segment overrides (" + ", ".join(policy.segments) + ") are kept as they are.")
    inputs = {name: float(st.session_state[_key(name)]) for name in sim.current_inputs(policy)}
    problems = sim.input_problems(inputs)
    query = sim.inputs_to_query(policy, inputs)
    if not problems and st.query_params.get(URL_PARAM, "") != query:
        if query:
            st.query_params[URL_PARAM] = query
        else:
            st.query_params.pop(URL_PARAM, None)
    name = st.query_params.get(SCENARIO_PARAM)
    try:
        found = scenarios.find_scenario(name, records) if name else None
    except StoreError:
        found = None  # the records are busy: the link keeps its name until they can be read
    if found is not None and found.inputs != query:
        st.query_params.pop(SCENARIO_PARAM, None)
    return inputs, query, problems


def rubric_inputs_note(replay: sim.Replay) -> None:
    """Which rubric inputs the period's tickets lack: without them, weights, scale values and thresholds cannot
    move a ticket's tier, and a green "nothing changes" would say less than it seems."""
    lacking = [f.replace("_", " ") for f, n in replay.factor_counts.items() if n == 0]
    if len(lacking) == len(replay.factor_counts):
        st.warning("This data has none of the rubric's inputs (" + ", ".join(lacking) + "): no ticket can move tier, "
                   "whatever the weights, scale values and thresholds. Targets still change what is met or "
                   "breached. Map the inputs at import (`columns:` in a mapping) to simulate the rubric.",
                   icon=":material/info:")
    elif lacking:
        st.caption("No ticket of this period carries " + ", ".join(lacking) + ": those weights and scale values "
                   "move nothing.")


def replay_controls(source: DataSource) -> tuple[sim.Replay, sim.Period, int]:
    """The period to replay (default: the last full quarter) and the on-call capacity, above the results;
    the period's replay, prepared once."""
    policy = source.policy
    baseline = simulation_baseline(source)
    default_period = baseline.default_period
    if st.session_state.get(StateKeys.SIM_SEEN_SOURCE) != source_key(source):  # another data set: its own period
        st.session_state.pop(StateKeys.SIM_PERIOD, None)
        st.session_state[StateKeys.SIM_SEEN_SOURCE] = source_key(source)
    top = st.columns([2, 1, 3])
    if default_period.start is not None:
        st.session_state.setdefault(StateKeys.SIM_PERIOD, (default_period.start, default_period.end - timedelta(days=1)))
        picked = top[0].date_input("Replay tickets created", key=StateKeys.SIM_PERIOD,
                                   help="Default: the latest full quarter (policy timezone) holding at least half "
                                        "as many tickets as the busiest one.")
        if not isinstance(picked, (tuple, list)) or len(picked) != 2:
            st.info("Pick the last day of the period too.")
            st.stop()
        period = sim.Period(picked[0], picked[1] + timedelta(days=1))
    else:
        top[0].caption("Less than a quarter of data: replaying all of it.")
        period = sim.Period()
    replay = simulation_replay(source, baseline, period)
    # Until the user sets one, the capacity is what on-call already took in the busiest week of the period.
    st.session_state.setdefault(StateKeys.SIM_CAPACITY, max(5, -(-sim.busiest_on_call_week(replay) // 5) * 5))
    capacity = int(top[1].number_input("On-call capacity per week", min_value=0, step=5, key=StateKeys.SIM_CAPACITY,
                                       help=f"{on_call_words(policy).capitalize()} tickets engineering on-call "
                                            "can take in a week "
                                            "(default: the busiest week of the period under the current policy)."))
    top[2].caption(
        f"{source.label} · {replay.ticket_count:,} tickets created {period.label()} · as of "
        f"{source.as_of.astimezone(policy.zone):%Y-%m-%d %H:%M} ({policy.timezone}). The current side is the "
        "Review's: each ticket keeps the tier it was judged at, and moves only where the candidate's rubric tiers it "
        "differently from the current rubric."
    )
    return replay, period, capacity
