"""The simulator's scenarios: candidates saved under a name, compared side by side, downloaded as policy files."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from sla_core import simulate as sim
from sla_core.policy import Policy
from ui.state import StateKeys
from ui.widgets import table


def scenarios_section(policy: Policy, candidate: Policy, summary: dict[str, Any]) -> None:
    """Save the candidate under a name; the saved ones as a table, each downloadable with its diff."""
    st.subheader("Scenarios")
    scenarios: dict[str, dict[str, Any]] = st.session_state.setdefault(StateKeys.SIM_SCENARIOS, {})
    save = st.columns([3, 1])
    name = save[0].text_input("Scenario name", key=StateKeys.SIM_SCENARIO_NAME, placeholder="e.g. severity-heavy")
    if save[1].button("Save scenario", key="sim_save", icon=":material/bookmark_add:"):
        if not name.strip():
            st.warning("Give the scenario a name first.")
        else:
            scenarios[name.strip()] = {"yaml": candidate.to_yaml(), "summary": {"scenario": name.strip(), **summary}}
            st.toast(f"Saved scenario {name.strip()!r}")
    if scenarios:
        table(pd.DataFrame([s["summary"] for s in scenarios.values()]), "sim_scenarios_table")
        chosen = st.selectbox("Scenario", list(scenarios), key=StateKeys.SIM_SCENARIO_PICK)
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
