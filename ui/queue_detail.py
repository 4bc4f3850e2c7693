"""The breach queue's row detail: who must be on a clock (route, channel, responders) and what its handoff lacks
(triage fields, tags), below the table so the table keeps to what to act on first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_core.present import words

# What a shift lead reads first, at 1440 px without scrolling sideways: the rest is in the row's detail.
FIRST = ["ticket_id", "state", "time_left", "tier", "metric", "playbook"]


def _text(value: object, empty: str) -> str:
    return empty if value is None or (isinstance(value, float) and pd.isna(value)) or value == "" else str(value)


def show_detail(row: pd.Series, zone: str) -> None:
    """One queued clock in full: due, owner, route, channel, responders, missing triage and tags, playbooks."""
    st.markdown(f"**{row['ticket_id']}** · {words.value(row['metric'])} · {words.value(row['state'])} · "
                f"{row['time_left']}")
    due = "when it runs again (paused)" if pd.isna(row["due"]) else f"{row['due']:%Y-%m-%d %H:%M} ({zone})"
    cells = [
        ("Due", due),
        ("Owner team", _text(row["owner_team"], "no owner team")),
        ("Segment", _text(row["segment"], "no segment")),
        ("Route", _text(row["route"], "no route in the policy")),
        ("Channel", _text(row["channel"], "no channel")),
        ("Responders", _text(row["responders"], "none named")),
        ("Missing triage", _text(row["missing_triage"], "none")),
        ("Missing tags", _text(row["missing_tags"], "none")),
    ]
    columns = st.columns(4)
    for i, (label, value) in enumerate(cells):
        columns[i % 4].markdown(f"**{label}**  \n{value}")
    st.markdown(f"**Playbooks**: {_text(row['playbook'], 'no playbook rule matches this clock')}")
