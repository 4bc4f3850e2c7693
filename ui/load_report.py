"""What a load accepted and refused, and why: the counts, the reasons and the rejected rows to download."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from sla_core.sources import DataSource, first_rejects, rejects_csv
from ui.widgets import download, table


SHOWN_REJECTS = 20


def show_load_report(upload: DataSource) -> None:
    """The upload's load report: rows read, accepted and rejected (per file), the reasons, the rejects."""
    report = upload.report
    st.subheader(upload.label)
    ticket_rows = "Tickets seen" if report.format == "events" else "Rows read"
    cols = st.columns(4)
    cols[0].metric(ticket_rows, f"{report.rows_read:,}")
    cols[1].metric("Accepted", f"{report.accepted:,}")
    cols[2].metric("Rejected", f"{report.rejected:,}")
    cols[3].metric("Tickets evaluated", f"{upload.tickets:,}")
    if report.events_rows_read:
        cols = st.columns(4)
        cols[0].metric("Event rows read", f"{report.events_rows_read:,}")
        cols[1].metric("Events accepted", f"{report.events_accepted:,}")
        cols[2].metric("Events rejected", f"{report.events_rejected:,}")
    if upload.seconds is not None:
        st.caption(f"Read, checked and judged in {upload.seconds:.1f} s.")
    for note in report.notes:
        st.caption(note)
    reasons = pd.DataFrame(
        [("tickets", r, n) for r, n in report.reasons.items()] + [("events", r, n) for r, n in report.events_reasons.items()],
        columns=["file", "reason", "rows"],
    ).sort_values("rows", ascending=False)
    if reasons.empty:
        st.success("Every row was accepted.", icon=":material/check_circle:")
    else:
        table(reasons, "reasons_table")
        download(reasons, "reject_reasons.csv", "dl_reasons", "Download reasons")
        first = first_rejects(upload, SHOWN_REJECTS)
        every = report.rejected + report.events_rejected
        st.markdown(f"**The first {len(first)} of {every:,} rejected rows** (the download has them all):"
                    if every > len(first) else "**The rejected rows** (a row is the file's line; the header is 1):")
        table(first, "rejects_table")
        st.download_button(
            "Download rejected rows (row, column, value, reason)", data=lambda: rejects_csv(upload),
            file_name="rejects.csv", mime="text/csv", key="dl_rejects", on_click="ignore", icon=":material/download:",
        )
