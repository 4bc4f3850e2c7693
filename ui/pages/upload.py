"""Upload: an export (CSV or Parquet, up to 200 MB) for an ad hoc check, seen only in this session."""

import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from sla_core.analysis.datasource import rejects_csv, upload_source
from sla_core.columns import REQUIRED_TICKET_COLUMNS, TICKET_COLUMNS
from sla_core.ingest.column_guess import file_columns, guess_columns
from sla_core.ingest.mapping import Mapping, MappingError, load_mapping
from sla_core.policy import PolicyError
from sla_core.vocab import SOURCES_SUPPORTED
from ui.sidebar import page_context
from ui.sources import current_policy
from ui.state import StateKeys
from ui.widgets import download

CUSTOM = "custom"
NOT_MAPPED = ""
PRESET_LABELS = {
    "plain": "Plain (canonical column names)", "zendesk": "Zendesk", "jira": "Jira Service Management",
    "freshdesk": "Freshdesk", "servicenow": "ServiceNow", "eventlog": "Event log (one row per event)",
    CUSTOM: "My own columns (map them below)",
}

page_context("upload")
st.title("Upload an export")
st.caption(
    "Load a tickets export to check it against the policy. It stays in this browser session: "
    "nobody else sees it, and it is gone when the session ends."
)


def saved(upload: "st.runtime.uploaded_file_manager.UploadedFile", folder: Path) -> Path:
    """The uploaded bytes as a file DuckDB can read, keeping the file's extension."""
    suffix = Path(upload.name).suffix.lower() if upload.name.lower().endswith((".parquet", ".yaml", ".yml")) else ".csv"
    path = folder / f"{upload.file_id}{suffix}"
    if not path.exists():
        upload.seek(0)
        with path.open("wb") as out:
            shutil.copyfileobj(upload, out, length=4 << 20)
    return path


presets = [p for p in PRESET_LABELS if p in SOURCES_SUPPORTED or p == CUSTOM]
preset = st.selectbox("Export format", presets, format_func=PRESET_LABELS.__getitem__, key=StateKeys.UPLOAD_PRESET)
tickets_file = st.file_uploader(
    "Event log (CSV or Parquet)" if preset == "eventlog" else "Tickets export (CSV or Parquet)",
    type=["csv", "parquet"], key=StateKeys.UPLOAD_TICKETS,
)
events_file = None
if preset != "eventlog":
    events_file = st.file_uploader(
        "Events: status, impact and owner changes (optional; columns ticket_id, at, field, value)",
        type=["csv", "parquet"], key=StateKeys.UPLOAD_EVENTS,
    )

mapping_file = st.file_uploader(
    "Mapping file (optional YAML: columns, values, activities - see the README)", type=["yaml", "yml"],
    key=StateKeys.UPLOAD_MAPPING,
    help="Needed for an event log; for other formats it replaces the preset.",
)

folder = Path(st.session_state.setdefault(StateKeys.UPLOAD_FOLDER, tempfile.mkdtemp(prefix="sla_board_upload_")))
mapping = None
if mapping_file is not None:
    try:
        mapping = load_mapping(saved(mapping_file, folder))
    except MappingError as err:
        st.error(str(err))
        st.stop()
if tickets_file is not None and preset == CUSTOM and mapping is None:
    try:
        columns = file_columns(saved(tickets_file, folder))
    except duckdb.Error as err:
        st.error(f"Cannot read the columns of {tickets_file.name}: {str(err).splitlines()[0]}")
        st.stop()
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
        st.stop()
    try:
        mapping = Mapping(format="tickets", columns=chosen)
    except ValueError as err:
        st.error(f"That mapping cannot be used: {err}")
        st.stop()

if tickets_file is not None and st.button("Load and evaluate", type="primary", icon=":material/play_arrow:"):
    progress = st.progress(0, text="Saving the upload…")
    try:
        tickets_path = saved(tickets_file, folder)
        events_path = saved(events_file, folder) if events_file is not None else None
        progress.progress(25, text="Reading and checking every row, then running the SLA clocks…")
        source = upload_source(
            tickets_path, events_path, current_policy(),
            label=f"Upload {tickets_file.name}", source="plain" if preset == CUSTOM else preset, mapping=mapping,
        )
        progress.progress(100, text="Done.")
    except (MappingError, PolicyError, ValueError, duckdb.Error) as err:
        progress.empty()
        st.session_state[StateKeys.UPLOAD_ERROR] = f"{tickets_file.name} could not be loaded: {err}"
    else:
        st.session_state[StateKeys.UPLOAD] = source
        st.session_state.pop(StateKeys.UPLOAD_ERROR, None)
        st.session_state[StateKeys.PENDING_SOURCE] = "upload"
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        st.session_state.pop(StateKeys.UPLOAD_FOLDER, None)
    st.rerun()

if StateKeys.UPLOAD_ERROR in st.session_state:
    st.error(st.session_state[StateKeys.UPLOAD_ERROR])

upload = st.session_state.get(StateKeys.UPLOAD)
if upload is None:
    st.stop()

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
for note in report.notes:
    st.caption(note)
reasons = pd.DataFrame(
    [("tickets", r, n) for r, n in report.reasons.items()] + [("events", r, n) for r, n in report.events_reasons.items()],
    columns=["file", "reason", "rows"],
).sort_values("rows", ascending=False)
if reasons.empty:
    st.success("Every row was accepted.", icon=":material/check_circle:")
else:
    st.dataframe(reasons, hide_index=True, key="reasons_table")
    download(reasons, "reject_reasons.csv", "dl_reasons", "Download reasons")
    st.download_button(
        "Download rejected rows (row, column, value, reason)", data=lambda: rejects_csv(upload),
        file_name="rejects.csv", mime="text/csv", key="dl_rejects", on_click="ignore", icon=":material/download:",
    )
st.markdown("The sidebar's data source is now **This session's upload**:")
links = st.columns(2)
links[0].page_link("ui/pages/review.py", label="Review this upload", icon=":material/monitoring:")
links[1].page_link("ui/pages/breach_queue.py", label="Its breach queue", icon=":material/alarm:")
