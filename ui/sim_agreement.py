"""The simulator's rubric agreement: where the impact people assigned and the current rubric disagree, shown
apart from the candidate's moves (the current side keeps the tiers people assigned)."""

from __future__ import annotations

import streamlit as st

from sla_core import simulate as sim
from sla_core.vocab import TIERS
from ui.widgets import pct, table


def rubric_agreement(replay: sim.Replay) -> None:
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
        table(sim.agreement_tickets(replay, assigned, by_rubric), "sim_agreement_cell", height=240,
              zone=replay.policy.timezone)
