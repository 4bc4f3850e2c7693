"""The Upload page's "my own columns": which column of the user's file holds what, guessed where obvious."""

from __future__ import annotations

from typing import Optional

import streamlit as st

from sla_core.columns import REQUIRED_TICKET_COLUMNS, TICKET_COLUMNS
from sla_core.ingest.column_guess import guess_columns
from sla_core.ingest.mapping import Mapping

NOT_MAPPED = ""


def column_mapper(columns: list[str]) -> Optional[Mapping]:
    """A selectbox per canonical column, pre-filled by a guess; the mapping, or None (saying why) while a
    required column is unmapped or the mapping cannot be used."""
    guesses = guess_columns(columns)
    st.markdown("**Which of your columns holds what?** Obvious ones are guessed; leave the rest unmapped.")
    grid = st.columns(3)
    chosen = {}
    for i, canonical in enumerate(TICKET_COLUMNS):
        needed = " (required)" if canonical in REQUIRED_TICKET_COLUMNS else ""
        options = [NOT_MAPPED, *columns]
        value = grid[i % 3].selectbox(
            f"{canonical}{needed}", options, index=options.index(guesses.get(canonical, NOT_MAPPED)),
            format_func=lambda c: "— not in my file —" if c == NOT_MAPPED else c, key=f"map_{canonical}",
        )
        if value != NOT_MAPPED:
            chosen[canonical] = value
    missing = [c for c in REQUIRED_TICKET_COLUMNS if c not in chosen]
    if missing:
        st.warning(f"Map {', '.join(missing)} to load the file.")
        return None
    try:
        return Mapping(format="tickets", columns=chosen)
    except ValueError as err:
        st.error(f"That mapping cannot be used: {err}")
        return None
