"""Freshdesk beyond the common story (test_connectors.py): the satisfaction ratings land as each ticket's csat,
read once per run over pages of the ratings list, the latest of a ticket's ratings counting; an older rating
stays when its ticket is updated, and a ticket rated without being updated is fetched by id. Every rating of a
ticket with a company is also a survey answer of that account."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.sync.helpers import audit, run, source, state, write_config
from tests.sync.server import Server
from tests.sync.vendors.freshdesk import T0, World

FIRST_NOW, LATER = "2026-12-03T10:36:00+00:00", "2026-12-03T11:36:00+00:00"
RATINGS = "/api/v2/surveys/satisfaction_ratings"


def _csat(store: Path) -> dict[str, Any]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return dict(con.execute("SELECT ticket_id, csat FROM tickets ORDER BY ticket_id").fetchall())
    finally:
        con.close()


def _answers(store: Path) -> list[tuple[str, datetime, str, int]]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return con.execute("SELECT account, \"at\", kind, score FROM surveys ORDER BY \"at\"").fetchall()
    finally:
        con.close()


def test_ratings_land_as_csat_and_stay_when_their_ticket_changes(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", FIRST_NOW)
    vendor = World()
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"desk": source("freshdesk", server.url)})
        report, _ = run(store, config)
        assert not report.sources[0].error, report.sources[0].line()
        # one read of the ratings in the run: five ratings, three pages of two, each page asked once
        asked = [(r.arg("created_since"), r.arg("page")) for r in vendor.log if r.path == RATINGS]
        assert [page for _, page in asked] == ["1", "2", "3"] and len({since for since, _ in asked}) == 1
        # 103 Extremely Happy, -101 Unhappy, 102 Very Happy; ticket 5's later rating (-103) wins over 101
        assert _csat(store) == {"1": None, "2": 5, "3": None, "4": 2, "5": 1, "6": None, "7": 5}
        # each rating an answer of the ticket's company, scored as the export's label is: both of ticket 5's
        hours = [(account, at - T0, kind, score) for account, at, kind, score in _answers(store)]
        assert hours == [("Example Ltd", timedelta(hours=h), "csat", score)
                         for h, score in ((1, 2), (2, 5), (3, 4), (5, 1), (7, 5))]
        assert report.sources[0].answers == (5, 0, 0, 0), report.sources[0].line()
        assert "survey answers: 5 new, 0 updated, 0 unchanged, 0 rejected" in report.sources[0].line()
        first_answers = _answers(store)

        vendor.change_between_runs()
        monkeypatch.setenv("SLA_BOARD_NOW", LATER)
        start = len(vendor.log)
        report, _ = run(store, config)
        assert not report.sources[0].error, report.sources[0].line()
        second = vendor.log[start:]
        before, trail = state(store), audit(store)
        report, _ = run(store, config)  # nothing new
    finally:
        server.close()
    # ticket 3 rated 100 Neutral with its update; ticket 6 rated -102 Very Unhappy alone, so fetched by id;
    # ticket 5 updated, its rating from before run 1 kept; the new ticket 8 unrated
    assert _csat(store) == {"1": None, "2": 5, "3": 3, "4": 2, "5": 1, "6": 1, "7": 5, "8": None}
    assert [r.path for r in second if r.path.startswith("/api/v2/tickets/")] == ["/api/v2/tickets/6"]
    # ticket 3's Neutral is Acme's answer; ticket 6 has no company, so its rating is its csat only
    acme = [a for a in _answers(store) if a not in first_answers]
    assert [(account, kind, score) for account, _, kind, score in acme] == [("Acme", "csat", 3)]
    again = report.sources[0]
    assert not again.error and (again.new, again.updated, again.rejected) == (0, 0, 0), again.line()
    assert state(store) == before and audit(store)[len(trail):] == [("sync", again.audit())]
