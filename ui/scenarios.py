"""The simulator's scenarios: candidates saved under a name with the data they were tried on, compared side by
side, opened again from a link (`?scenario=NAME`), downloaded as policy files."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from sla_core import simulate as sim
from sla_core.access import AccessError, Actor
from sla_core.ingest.store import StoreError
from sla_core.policy import Policy
from sla_core.simulate import scenarios as kept
from sla_core.sources import DataSource
from ui.access import current_actor
from ui.candidate import SCENARIO_PARAM, URL_PARAM, open_scenario
from ui.state import StateKeys
from ui.widgets import table


def scenarios_section(source: DataSource, candidate: Policy, summary: dict[str, Any], inputs: str) -> None:
    """Save the candidate under a name; the saved ones as a table, each one a link, a download and a diff."""
    st.subheader("Scenarios")
    st.caption(f"Scenarios are {source.writes_where}.")
    actor = current_actor()
    if actor.can("editor"):
        save_form(source, candidate, summary, inputs, actor)
    else:
        st.caption(f"You are signed in as a {actor.role}: you can open and download scenarios, not save them.")
    try:
        scenarios = {s.name: s for s in kept.saved_scenarios(source.records)}
    except StoreError as err:
        st.error(f"The saved scenarios cannot be read: {err}", icon=":material/error:")
        return
    if not scenarios:
        st.caption("Save the current inputs under a name to keep them across a reload, compare scenarios side by "
                   "side, share one as a link, and download it as a policy file for "
                   "`python -m sla_core evaluate --policy`.")
        return
    table(pd.DataFrame([{"name": s.name, "saved_at": s.saved_at.astimezone(source.policy.zone), **s.summary}
                        for s in scenarios.values()]), "sim_scenarios_table")
    chosen = st.selectbox("Scenario", list(scenarios), key=StateKeys.SIM_SCENARIO_PICK)
    pick = scenarios[chosen]
    actions = st.columns(2)
    actions[0].button("Open in the inputs", key="sim_open_scenario", icon=":material/open_in_browser:",
                      on_click=open_scenario, args=(source.policy, pick.name, pick.inputs))
    file_name = "policy_" + "".join(c if c.isalnum() or c in "-_" else "_" for c in pick.name) + ".yaml"
    actions[1].download_button("Download policy YAML", data=pick.policy_yaml, file_name=file_name,
                               mime="application/x-yaml", key="sim_dl_yaml", on_click="ignore",
                               icon=":material/download:")
    st.caption(f"Link: add `?{SCENARIO_PARAM}={pick.name}` to this page's address (or `?{URL_PARAM}=` with the "
               "inputs) to open it. The download is a complete policy file: save it next to the current one (its "
               "playbook paths are relative) and check it with `python -m sla_core evaluate --policy FILE`. "
               "Its diff against the current policy:")
    st.code(sim.policy_diff(source.policy, pick.policy_yaml, candidate_name=file_name)
            or "(identical to the current policy)", language="diff")


def save_form(source: DataSource, candidate: Policy, summary: dict[str, Any], inputs: str, actor: Actor) -> None:
    save = st.columns([3, 1])
    name = save[0].text_input("Scenario name", key=StateKeys.SIM_SCENARIO_NAME, placeholder="e.g. severity-heavy")
    if save[1].button("Save scenario", key="sim_save", icon=":material/bookmark_add:"):
        try:
            saved = kept.scenario(name, inputs, candidate.to_yaml(), summary)
            kept.save_scenario(saved, source.records, actor=actor)
        except (kept.ScenarioError, StoreError, AccessError) as err:
            st.error(str(err), icon=":material/error:")
        else:
            st.query_params[SCENARIO_PARAM] = saved.name
            st.toast(f"Saved scenario {saved.name!r}; the page's link now opens it.")
