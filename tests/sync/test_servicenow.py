"""ServiceNow beyond the common story (test_connectors.py): state and hold-reason changes from sys_audit become
status events, and a hold awaiting the caller pauses the resolution clock by exactly its length."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import duckdb
import pytest

from tests.sync.helpers import audit, run, source, state, tickets, write_config
from tests.sync.server import Server
from tests.sync.vendors.servicenow import World

NOW = "2026-12-03T10:36:00+00:00"


def _statuses(store: Path, number: str) -> list[tuple[str, str]]:
    events = [dict(r) for r in tickets(store)["events"]]
    return [(e["at"].astimezone(UTC).strftime("%H:%M"), e["value"]) for e in events
            if e["ticket_id"] == number and e["field"] == "status"]


def test_holds_become_status_events_and_pause_the_resolution_clock(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    vendor = World()
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"desk": source("servicenow", server.url)})
        report, _ = run(store, config)
        first = report.sources[0]
        assert not first.error and first.rejected == 0, first.line()
        before, trail = state(store), audit(store)
        report, _ = run(store, config)  # nothing new
    finally:
        server.close()
    again = report.sources[0]
    assert not again.error and (again.new, again.updated, again.rejected) == (0, 0, 0), again.line()
    assert state(store) == before and audit(store)[len(trail):] == [("sync", again.audit())]

    # T0 is 08:00 UTC; events are stored as instants (shown here in UTC)
    assert _statuses(store, "INC0000005") == [
        ("08:40", "open"), ("09:00", "waiting_on_customer"), ("11:00", "open"), ("13:00", "resolved")]
    # a reason changed while On Hold is a status change; Awaiting Change waits on our own work (the preset)
    assert _statuses(store, "INC0000004") == [
        ("08:30", "open"), ("08:45", "waiting_on_customer"), ("09:15", "open"), ("09:40", "open")]
    # state and incident_state are both audited: one status per update; the handoff of the same instant kept
    assert _statuses(store, "INC0000002") == [
        ("08:10", "new"), ("08:20", "open"), ("09:00", "waiting_on_third_party"), ("09:30", "open"),
        ("11:00", "resolved")]
    assert ("INC0000002", "09:00", "owner_team", "Network") in [
        (e["ticket_id"], e["at"].astimezone(UTC).strftime("%H:%M"), e["field"], e["value"])
        for e in (dict(r) for r in tickets(store)["events"])]
    # every sys_audit request asks for the four fields at once
    queries = [str(r.arg("sysparm_query")) for r in vendor.log if r.path == "/api/now/table/sys_audit"]
    assert queries and all("^fieldnameINassignment_group,state,incident_state,hold_reason^" in q for q in queries)

    con = duckdb.connect(str(store), read_only=True)
    try:
        paused = dict(con.execute(
            "SELECT ticket_id, paused_seconds FROM kept_results WHERE metric = ? AND ticket_id IN (?, ?)",
            ["resolution", "INC0000005", "INC0000002"]).fetchall())
        elapsed = con.execute("SELECT elapsed_seconds FROM kept_results WHERE metric = ? AND ticket_id = ?",
                              ["resolution", "INC0000005"]).fetchall()
    finally:
        con.close()
    # medium tier, resolution on 24x7, paused while waiting on the customer or a third party (sample policy):
    # INC0000005 opened 08:40, held 09:00-11:00 awaiting the caller, resolved 13:00 -> 2 h of 4 h 20 paused;
    # INC0000002 held 09:00-09:30 awaiting a vendor -> 30 min paused
    assert paused == {"INC0000005": 2 * 3600, "INC0000002": 30 * 60}
    assert elapsed == [(2 * 3600 + 20 * 60,)]


def test_an_instances_own_state_is_read_by_its_label_from_sys_choice(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    vendor = World()
    # INC0000007 goes to the instance's own state 10, Awaiting User Info (the preset: waiting on the customer)
    vendor.update("INC0000007", state="10")
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"desk": source("servicenow", server.url)})
        report, _ = run(store, config)
    finally:
        server.close()
    assert not report.sources[0].error, report.sources[0].line()
    assert [value for _, value in _statuses(store, "INC0000007")] == ["open", "waiting_on_customer"]
    # read once per run, in pages of the source's page size (2): 7 state, 7 incident_state and 4 reason choices
    # are nine full pages, then an empty one
    asked = [r.arg("sysparm_offset") for r in vendor.log if r.path == "/api/now/table/sys_choice"]
    assert asked == [str(n) for n in range(0, 20, 2)]


def test_a_sys_choice_refused_keeps_the_base_labels_and_the_run_goes_on(tmp_path: Path) -> None:
    vendor = World()
    vendor.update("INC0000007", state="10")
    vendor.fail("/api/now/table/sys_choice", 403)
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        report, _ = run(store, write_config(tmp_path, {"desk": source("servicenow", server.url)}))
    finally:
        server.close()
    assert not report.sources[0].error and report.sources[0].accepted == 7, report.sources[0].line()
    # state 10 is no base label: the change gives no status (the clock runs as it was), INC0000002's hold does
    assert [value for _, value in _statuses(store, "INC0000007")] == ["open"]
    assert "waiting_on_third_party" in [value for _, value in _statuses(store, "INC0000002")]
