"""Zendesk beyond the common story (test_connectors.py): the brand scope, and names the sideload lacks."""

from __future__ import annotations

from pathlib import Path

from tests.sync.helpers import run, source, tickets, write_config
from tests.sync.server import Server
from tests.sync.vendors.zendesk import World


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
    [row] = [dict(r) for r in tickets(tmp_path / "store.duckdb")["tickets"]]
    assert (row["ticket_id"], row["owner_team"]) == ("107", "Tier 2")  # group 2 is not in the sideload
    assert any(r.path == "/api/v2/groups/2.json" for r in vendor.log)
