"""Intercom beyond the common story (test_connectors.py): the company of a conversation's contact lands as the
ticket's account, a contact in several companies as one list read over two pages, each contact asked once per
run however many of its conversations the run reads; a contact without companies, or deleted, gives none. A
rating of a conversation whose contact has a company is a survey answer of that account."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.sync.helpers import run, source, write_config
from tests.sync.server import Server
from tests.sync.vendors.intercom import T0, World

FIRST_NOW, LATER = "2026-12-03T10:36:00+00:00", "2026-12-03T11:36:00+00:00"


def _accounts(store: Path) -> dict[str, Any]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return dict(con.execute("SELECT ticket_id, account FROM tickets ORDER BY ticket_id").fetchall())
    finally:
        con.close()


def test_the_contacts_company_lands_as_the_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLA_BOARD_NOW", FIRST_NOW)
    vendor = World()
    server = Server(vendor)
    store = tmp_path / "store.duckdb"
    try:
        config = write_config(tmp_path, {"chat": source("intercom", server.url)})
        report, _ = run(store, config)
        assert not report.sources[0].error, report.sources[0].line()
        first = [(r.path, r.arg("page")) for r in vendor.log if r.path.startswith("/contacts/")]
        vendor.change_between_runs()
        monkeypatch.setenv("SLA_BOARD_NOW", LATER)
        start = len(vendor.log)
        report, _ = run(store, config)
        assert not report.sources[0].error, report.sources[0].line()
        second = [(r.path, r.arg("page")) for r in vendor.log[start:] if r.path.startswith("/contacts/")]
    finally:
        server.close()
    # 9002's 5 is the answer of its contact's three companies as one account, as its ticket's; 9004's contact has
    # no company (its 2 is the ticket's csat only); 9003 rated between the runs
    con = duckdb.connect(str(store), read_only=True)
    try:
        answers = con.execute('SELECT account, "at", kind, score FROM surveys ORDER BY "at"').fetchall()
    finally:
        con.close()
    assert [(a, k, s) for a, _, k, s in answers] == [("Acme, Globex, Initech", "csat", 5), ("Example Ltd", "csat", 4)]
    assert answers[0][1] == T0 + timedelta(hours=2, minutes=5) and report.sources[0].answers == (1, 0, 0, 0)
    assert _accounts(store) == {
        "9001": "Example Ltd", "9002": "Acme, Globex, Initech", "9003": "Example Ltd", "9004": None,
        "9005": "Umbrella", "9006": None, "9007": "Acme, Globex, Initech", "9008": "Umbrella"}
    # c1 and c2 have two conversations each, c2's companies take two pages (page_size 2): each page asked once
    assert Counter(first) == {("/contacts/c1/companies", "1"): 1, ("/contacts/c2/companies", "1"): 1,
                              ("/contacts/c2/companies", "2"): 1, ("/contacts/c3/companies", "1"): 1,
                              ("/contacts/c4/companies", "1"): 1, ("/contacts/c9/companies", "1"): 1}
    # run 2 reads 9007 again (within the overlap), 9003 and 9008: their contacts asked afresh, once each
    assert Counter(second) == {("/contacts/c2/companies", "1"): 1, ("/contacts/c2/companies", "2"): 1,
                               ("/contacts/c1/companies", "1"): 1, ("/contacts/c4/companies", "1"): 1}
