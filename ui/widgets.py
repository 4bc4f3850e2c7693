"""Small pieces several pages draw the same way."""

from __future__ import annotations

from typing import Optional

import pandas as pd
import streamlit as st

from sla_core.csv_safe import frame_csv_bytes


def download(frame: pd.DataFrame, name: str, key: str, label: str = "Download CSV") -> None:
    """A CSV download of a table; cells that would start a formula are escaped."""
    st.download_button(
        label, data=lambda: frame_csv_bytes(frame), file_name=name, mime="text/csv", key=key,
        on_click="ignore", icon=":material/download:",
    )


def pct(value: Optional[float]) -> str:
    """A share as people read it: 90.3 %, or a dash when there is none."""
    return "—" if value is None or pd.isna(value) else f"{float(value):.1%}"
