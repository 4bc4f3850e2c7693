"""Every connector against its tool's API served locally, the same story for each:

Run 1 (at the tests' now) reads at least three pages of two; the second page is first refused with 429 Retry-After: 1 and the third
first fails with a 500 (the run waits 1 s, then the 10 ms backoff, and goes on); a record of the first page
changes while the run reads, so its id comes again on a later page. Between the runs one record changes and
one is added, and run 2 is an hour later. The store after run 2 must equal the tool's export of the final records imported with `import`
(tickets and their events, or signals), and a third run with nothing new must change nothing but add its own
audit row. No credential appears anywhere in the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.sync.helpers import SECRETS, audit, imported, run, signals, source, state, tickets, whole_store_text
from tests.sync.helpers import write_config
from tests.sync.server import Server
from tests.sync.vendors import TOOLS, World, world


@pytest.fixture(params=TOOLS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[World, Server]]:
    vendor = world(request.param)
    server = Server(vendor)
    yield vendor, server
    server.close()


FIRST_NOW, LATER = "2026-12-03T10:36:00+00:00", "2026-12-03T11:36:00+00:00"


def test_two_runs_equal_the_export_imported_and_a_third_changes_nothing(
    served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendor, server = served
    monkeypatch.setenv("SLA_BOARD_NOW", FIRST_NOW)
    config = write_config(tmp_path, {"src": source(vendor.tool, server.url, **vendor.scope())})
    store = tmp_path / "store.duckdb"
    vendor.change_after(vendor.listing, vendor.change_during_run)  # once page 1 has been answered
    vendor.fail(vendor.listing, 429, {"Retry-After": "1"}, after=1)  # page 2, first try
    vendor.fail(vendor.listing, 500, after=3)  # page 3, first try (the 429's retry was the 3rd request)
    report, waits = run(store, config)
    first = report.sources[0]
    assert not first.error, first.line()
    assert waits == [1.0, 0.01]  # Retry-After, then the first backoff
    assert first.pages >= 4 and first.rejected == 0, first.line()
    assert first.fetched > first.new  # an id came twice: stored once
    listed = [r for r in vendor.log if r.path.startswith(vendor.listing)]
    assert len(listed) >= 5

    vendor.change_between_runs()
    monkeypatch.setenv("SLA_BOARD_NOW", LATER)  # an hour later: what was created since is in the new window
    report, _ = run(store, config)
    second = report.sources[0]
    assert not second.error and second.new >= 1 and second.updated >= 1, second.line()

    export, events = vendor.export(tmp_path)
    reference = imported(tmp_path / "imported.duckdb", export, vendor.tool, events)
    if vendor.kind == "tickets":
        assert tickets(store) == tickets(reference)
    else:
        assert signals(store) == signals(reference)

    before, trail = state(store), audit(store)
    report, _ = run(store, config)  # nothing new
    third = report.sources[0]
    assert not third.error and (third.new, third.updated, third.rejected) == (0, 0, 0), third.line()
    assert state(store) == before
    assert audit(store)[len(trail):] == [("sync", third.audit())]
    text = whole_store_text(store)
    assert not [name for name, secret in SECRETS.items() if secret in text]
