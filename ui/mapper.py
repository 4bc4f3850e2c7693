"""The Upload page's "my own columns": which column holds what, and what its values mean, guessed where obvious.

The result is a mapping like any YAML one, offered as a download so the same
file imports unchanged with `python -m sla_core import FILE --mapping mapping.yaml`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import pandas as pd
import streamlit as st

from sla_core.columns import REQUIRED_TICKET_COLUMNS, TICKET_COLUMNS
from sla_core.ingest.column_guess import guess_columns
from sla_core.ingest.mapping import Mapping, mapping_yaml
from sla_core.ingest.value_guess import ENUM_VALUES, MAPPABLE, MOST_VALUES, distinct_values, guess_value, value_map

NOT_MAPPED = ""
LEAVE_EMPTY = "(leave empty)"
VALUES_CACHE = "upload_distinct_values"  # session state: (file, column) -> distinct values; one session's file


def _distinct(path: Path, column: str) -> list[tuple[str, int]]:
    cache: dict[tuple[str, str], list[tuple[str, int]]] = st.session_state.setdefault(VALUES_CACHE, {})
    key = (str(path), column)
    if key not in cache:
        cache[key] = distinct_values(path, column)
    return cache[key]


def _value_mapper(path: Path, canonical: str, column: str, segments: Sequence[str]) -> dict[str, Optional[str]]:
    """One editable table: each distinct value of the column, its rows, and what it means (pre-filled)."""
    found = _distinct(path, column)
    if not found:
        return {}
    enum = ENUM_VALUES.get(canonical)
    guesses = [guess_value(canonical, value, segments) for value, _ in found]
    frame = pd.DataFrame({
        "value in your file": [value for value, _ in found],
        "rows": [rows for _, rows in found],
        "means": [guess or (LEAVE_EMPTY if enum else "") for guess in guesses],
    })
    unknown = sum(1 for guess in guesses if guess is None)
    label = f"{canonical} ← “{column}”: {len(found)}{'+' if len(found) == MOST_VALUES else ''} values"
    with st.expander(label + (f", {unknown} not recognised" if unknown else ""), expanded=bool(unknown)):
        if enum:
            st.caption(f"Pick what each value means ({', '.join(enum)}), or leave it empty"
                       + (" (the rubric then tiers the row; a row with no rubric inputs either is rejected)."
                          if canonical == "impact" else "."))
            means = st.column_config.SelectboxColumn("means", options=[*enum, LEAVE_EMPTY], required=True)
        else:
            st.caption("Each name is kept as it is; rename or merge here (an empty cell leaves it empty).")
            means = st.column_config.TextColumn("means")
        if len(found) == MOST_VALUES:
            st.caption(f"The {MOST_VALUES} most frequent values are listed; the others are read as they are.")
        edited = st.data_editor(
            frame, key=f"values_{canonical}", hide_index=True, disabled=["value in your file", "rows"],
            column_config={"means": means, "rows": st.column_config.NumberColumn("rows", format="localized")},
        )
    chosen = {
        str(raw): (None if (not isinstance(new, str) or new in (LEAVE_EMPTY, "")) else new)
        for raw, new in zip(edited["value in your file"], edited["means"])
    }
    return value_map(canonical, chosen)


def column_mapper(path: Path, name: str, columns: list[str], segments: Sequence[str] = ()) -> Optional[Mapping]:
    """A selectbox per canonical column and a value table per mapped enum or name column, all pre-filled by a
    guess; the mapping (also offered as YAML), or None (saying why) while a required column is unmapped."""
    guesses = guess_columns(columns)
    st.markdown("**Which of your columns holds what?** Obvious ones are guessed; leave the rest unmapped.")
    grid = st.columns(3)
    chosen = {}
    for i, canonical in enumerate(TICKET_COLUMNS):
        if canonical == "unmeasured":
            continue
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
    values: dict[str, dict[str, Optional[str]]] = {}
    mappable = [c for c in MAPPABLE if c in chosen]
    if mappable:
        st.markdown("**What do your values mean?** Each distinct value, guessed where obvious.")
        for canonical in mappable:
            table = _value_mapper(path, canonical, chosen[canonical], segments)
            if table:
                values[canonical] = table
    try:
        mapping = Mapping(format="tickets", columns=chosen, values=values)
    except ValueError as err:
        st.error(f"That mapping cannot be used: {err}")
        return None
    text = mapping_yaml(mapping, made_by=(
        f"Mapping made on SLA Board's Upload page for {name}.\n"
        "Import the same export with: python -m sla_core import FILE --source plain --mapping mapping.yaml"))
    with st.expander("This mapping as YAML, for the command line", icon=":material/code:"):
        st.code(text, language="yaml")
        st.download_button(
            "Download mapping.yaml", data=text, file_name="mapping.yaml", mime="application/yaml", key="dl_mapping",
            icon=":material/download:", on_click="ignore",
            help="The same export then imports unchanged: python -m sla_core import FILE --mapping mapping.yaml",
        )
    return mapping
