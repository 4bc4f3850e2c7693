"""Upload: an export (CSV or Parquet, up to 200 MB) for an ad hoc check, seen only in this session."""

import shutil
import tempfile
from pathlib import Path

import duckdb
import streamlit as st

from sla_core.ingest.column_guess import file_columns
from sla_core.ingest.loading import reader_complaint, save_upload
from sla_core.ingest.mapping import MappingError, load_mapping
from sla_core.policy import PolicyError
from sla_core.sources import upload_source
from sla_core.vocab import EXPORT_FORMATS
from ui.data_sources import current_policy
from ui.load_report import show_load_report
from ui.mapper import column_mapper
from ui.sidebar import page_context
from ui.state import StateKeys
from ui.widgets import coverage_panel

CUSTOM = "custom"
NOT_MAPPED = ""
PRESET_LABELS = {
    "plain": "Plain (canonical column names)", "zendesk": "Zendesk", "jira": "Jira Service Management",
    "freshdesk": "Freshdesk", "servicenow": "ServiceNow", "intercom": "Intercom (conversations)",
    "eventlog": "Event log (one row per event)",
    CUSTOM: "My own columns (map them below)",
}

page_context("upload")
st.title("Upload an export")
st.caption(
    "Load a tickets export to check it against the policy. It stays in this browser session: "
    "nobody else sees it, and it is gone when the session ends."
)


def saved(upload: "st.runtime.uploaded_file_manager.UploadedFile", folder: Path) -> Path:
    return save_upload(upload, upload.name, folder, upload.file_id)


presets = [p for p in PRESET_LABELS if p in EXPORT_FORMATS or p == CUSTOM]
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
        tickets_path = saved(tickets_file, folder)
        columns = file_columns(tickets_path)
        mapping = column_mapper(tickets_path, tickets_file.name, columns, current_policy().segment_names)
    except duckdb.Error as err:
        st.error(f"Cannot read {tickets_file.name}: {reader_complaint(err)}")
        st.stop()
    if mapping is None:
        st.stop()

if tickets_file is not None and st.button("Load and evaluate", type="primary", icon=":material/play_arrow:"):
    progress = st.progress(0, text="Saving the upload…")
    try:
        tickets_path = saved(tickets_file, folder)
        events_path = saved(events_file, folder) if events_file is not None else None
        progress.progress(20, text="Reading and checking every row…")
        source = upload_source(
            tickets_path, events_path, current_policy(),
            label=f"Upload {tickets_file.name}", export_format="plain" if preset == CUSTOM else preset, mapping=mapping,
            progress=lambda step: progress.progress(60, text=step),
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

show_load_report(upload)
coverage_panel(upload, expanded=True)
st.markdown("The sidebar's data source is now **This session's upload**:")
links = st.columns(2)
links[0].page_link("pages/review.py", label="Review this upload", icon=":material/monitoring:")
links[1].page_link("pages/breach_queue.py", label="Its breach queue", icon=":material/alarm:")
