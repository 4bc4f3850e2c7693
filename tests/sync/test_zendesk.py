"""Zendesk beyond the common story (test_connectors.py): the brand scope, names the sideload lacks, the ticket
metric events (status changes that pause the clocks, read in step with the ticket pages) and the satisfaction
ratings as survey answers of the ticket's organization."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.sync.helpers import audit, run, source, state, tickets, write_config
from tests.sync.server import Server
from tests.sync.vendors.zendesk import METRIC_EVENTS, T0, World

RATINGS = "/api/v2/satisfaction_ratings"

NOW = "2026-12-03T10:36:00+00:00"


def _statuses(store: Path, ticket: str) -> list[tuple[str, str]]:
    events = [dict(r) for r in tickets(store)["events"]]
    return [(e["at"].astimezone(UTC).strftime("%a %H:%M"), e["value"]) for e in events
            if e["ticket_id"] == ticket and e["field"] == "status"]


def _cursor(store: Path) -> dict[str, int]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        [(text,)] = con.execute("SELECT cursor FROM sync_state").fetchall()
        found: dict[str, int] = json.loads(text)
        return found
    finally:
        con.close()


def _epoch(minutes: int) -> int:
    return int((T0 + timedelta(minutes=minutes)).timestamp())


def test_the_brand_scope_keeps_one_brands_tickets_and_a_missing_name_is_asked_for(tmp_path: Path) -> None:
    vendor = World()
    vendor.update(107, brand_id=2, group_id=2)
    server = Server(vendor)
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url, brand=2)})
        report, _ = run(tmp_path / "store.duckdb", config)
    finally:
        server.close()
    assert (report.sources[0].fetched, report.sources[0].accepted) == (7, 1), report.sources[0].line()
    assert report.sources[0].rejected == 0  # the other brands' metric events are left out, not rejected
    [row] = [dict(r) for r in tickets(tmp_path / "store.duckdb")["tickets"]]
    assert (row["ticket_id"], row["owner_team"]) == ("107", "Tier 2")  # group 2 is not in the sideload
    assert any(r.path == "/api/v2/groups/2.json" for r in vendor.log)
    assert {dict(e)["ticket_id"] for e in tickets(tmp_path / "store.duckdb")["events"]} == {"107"}


def _answers(store: Path) -> list[tuple[str, datetime, str, int]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute('SELECT account, "at", kind, score FROM surveys ORDER BY "at"').fetchall()
    finally:
        con.close()


def test_ratings_become_survey_answers_of_the_organization_at_their_own_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    vendor = World()
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        report, _ = run(store, config)
        first = [r for r in vendor.log if r.path == RATINGS]
        vendor.change_between_runs()
        start = len(vendor.log)
        again, _ = run(store, config)
        second = [r for r in vendor.log[start:] if r.path == RATINGS]
    finally:
        server.close()
    assert not report.sources[0].error and not again.sources[0].error, again.sources[0].line()
    asked = [[(r.arg("start_time"), r.arg("page[after]")) for r in reads] for reads in (first, second)]
    # one read of the list per run, from the oldest rated ticket's creation: run 1 from 102's (one page); run 2
    # from 103's, rated since (two pages of two)
    assert asked == [[(str(_epoch(10)), None)], [(str(_epoch(20)), None), (str(_epoch(20)), "7105")]]
    # 102 good and 105 bad (Example Ltd) at the ratings' own times; 103 rated good between the runs (Acme);
    # 104's "offered" is no answer
    answers = [(account, at.astimezone(UTC), kind, score) for account, at, kind, score in _answers(store)]
    assert answers[:2] == [("Example Ltd", T0 + timedelta(hours=6), "csat", 5),
                           ("Example Ltd", T0 + timedelta(days=2, hours=1), "csat", 1)]
    assert [(a, k, s) for a, _, k, s in answers[2:]] == [("Acme", "csat", 5)]
    assert report.sources[0].answers == (2, 0, 0, 0) and again.sources[0].answers == (1, 0, 0, 0)


def test_metric_events_become_statuses_that_pause_the_resolution_clock(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    vendor = World()
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        report, _ = run(store, config)
        first = report.sources[0]
        assert not first.error and first.rejected == 0, first.line()
        asked = [int(str(r.arg("start_time"))) for r in vendor.log if r.path == METRIC_EVENTS]
        before, trail = state(store), audit(store)
        report, _ = run(store, config)  # nothing new
    finally:
        server.close()
    again = report.sources[0]
    assert not again.error and (again.new, again.updated, again.rejected) == (0, 0, 0), again.line()
    assert state(store) == before and audit(store)[len(trail):] == [("sync", again.audit())]
    # the export paged by end_time (10 events a page here), each page starting where the last one ended
    assert len(asked) >= 3 and asked == sorted(asked) and asked[0] == int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())

    # T0 is Monday 08:00 UTC. pending -> waiting_on_customer, on-hold -> waiting_on_third_party, solved ->
    # resolved, back or reopened -> open; reply-time and SLA events leave nothing
    assert _statuses(store, "102") == [
        ("Mon 08:10", "open"), ("Mon 09:00", "waiting_on_customer"), ("Mon 11:00", "open"),
        ("Mon 11:30", "waiting_on_third_party"), ("Mon 12:00", "open"), ("Mon 13:00", "resolved")]
    assert _statuses(store, "105") == [  # on-hold then pending: each a change of one metric only
        ("Mon 08:40", "open"), ("Mon 09:40", "waiting_on_third_party"), ("Mon 10:10", "waiting_on_customer"),
        ("Mon 10:40", "open"), ("Tue 08:00", "resolved"), ("Tue 09:00", "open"), ("Wed 08:00", "resolved")]
    assert _statuses(store, "106") == [  # pending then on-hold
        ("Mon 08:50", "open"), ("Mon 09:50", "waiting_on_customer"), ("Mon 10:20", "waiting_on_third_party"),
        ("Mon 10:50", "open")]
    assert _statuses(store, "107") == [("Mon 09:00", "open")]

    con = duckdb.connect(str(store), read_only=True)
    try:
        clocks = {r[0]: (r[1], r[2]) for r in con.execute(
            "SELECT ticket_id, paused_seconds, elapsed_seconds FROM kept_results WHERE metric = ? "
            "AND ticket_id IN (?, ?)", ["resolution", "102", "105"]).fetchall()}
    finally:
        con.close()
    # medium tier (Normal), resolution on 24x7, paused while waiting on the customer or a third party and, under
    # on_reopen: resume, while resolved before a reopen (sample policy):
    # 102 opened 08:10, pending 2 h + on-hold 30 min, solved 13:00: 4 h 50 less 2 h 30 paused
    # 105 opened Mon 08:40, on-hold 30 min + pending 30 min + solved Tue 08:00-09:00, solved Wed 08:00
    assert clocks == {"102": (2.5 * 3600, (4 * 60 + 50 - 150) * 60),
                      "105": (2 * 3600, (48 * 60 - 40 - 120) * 60)}


def test_a_ticket_the_export_leaves_out_holds_the_events_cursor_back_for_one_run_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    vendor = World()
    vendor.hidden = {104, 106}  # 106 changed again in the minute the export leaves out; 104 deleted
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
        report, _ = run(store, config)
        assert not report.sources[0].error and report.sources[0].rejected == 0, report.sources[0].line()
        ids = {dict(r)["ticket_id"] for r in tickets(store)["tickets"]}
        assert ids == {"101", "102", "103", "105", "107"}
        # the next run reads again from 104's creation (08:30): no page held it or 106 yet
        assert _cursor(store)["events"] == _epoch(30)
        assert _cursor(store)["updated"] == _epoch(2 * 24 * 60)  # 105, solved on Wednesday

        vendor.hidden = {104}
        vendor.update(106, tags=["late"])
        report, _ = run(store, config)
        second = report.sources[0]
        assert not second.error and (second.new, second.updated, second.rejected) == (1, 0, 0), second.line()
        before = state(store)
        report, _ = run(store, config)  # nothing new
    finally:
        server.close()
    # 106 has its whole history, read a run after its changes; 104's changes no longer hold the cursor back
    assert _statuses(store, "106") == [
        ("Mon 08:50", "open"), ("Mon 09:50", "waiting_on_customer"), ("Mon 10:20", "waiting_on_third_party"),
        ("Mon 10:50", "open")]
    assert _cursor(store)["events"] == _cursor(store)["updated"] == int(vendor.clock.timestamp())
    assert state(store) == before and report.sources[0].updated == 0


def test_without_end_of_stream_a_page_of_fewer_than_100_ends_the_metric_events(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The documented answer has `count`, `end_time` and `next_page`; where `end_of_stream` is missing, a full
    page (100) is followed and a shorter one is the last."""
    monkeypatch.setenv("SLA_BOARD_NOW", NOW)
    stores = {}
    for told in (True, False):
        vendor = World()
        vendor.end_of_stream, vendor.events_per_page = told, (10 if told else 100)
        vendor.noise = 150  # SLA measure events of 101, a second apart from its creation on
        server = Server(vendor)
        try:
            config = write_config(tmp_path, {"helpdesk": source("zendesk", server.url)})
            stores[told] = tmp_path / f"store-{told}.duckdb"
            report, _ = run(stores[told], config)
        finally:
            server.close()
        assert not report.sources[0].error and report.sources[0].rejected == 0, report.sources[0].line()
        if not told:
            pages = [r for r in vendor.log if r.path == METRIC_EVENTS]
            assert len(pages) >= 2  # a full page of 100 was followed
    assert tickets(stores[True]) == tickets(stores[False])
    assert _statuses(stores[False], "104") == [("Mon 08:30", "open"), ("Mon 08:35", "waiting_on_customer")]


def test_a_full_page_within_one_second_stops_the_source_with_one_line(tmp_path: Path) -> None:
    vendor = World()
    vendor.end_of_stream, vendor.events_per_page = False, 100
    vendor.noise, vendor.noise_step = 150, 0  # 150 events in one second: the next page would be the same
    server = Server(vendor)
    try:
        report, _ = run(tmp_path / "store.duckdb", write_config(tmp_path, {"helpdesk": source("zendesk", server.url)}))
    finally:
        server.close()
    assert report.sources[0].error == (
        "helpdesk: Zendesk's ticket metric events at 2026-07-06T08:00:00+00:00 fill a whole page, and the next "
        "page starts there again; the run stops before them")
