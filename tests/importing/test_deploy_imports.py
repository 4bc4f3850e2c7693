"""Deploys: a plain CSV or JSON known by its header, a mapping with `format: deploys`, every row accepted or
rejected with its reason, the tool named by the file or by the import, and the store's upsert by tool and id."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pytest

from sla_core.cli import main as cli_main
from sla_core.ingest.loading import LoadError, load_files
from sla_core.ingest.mapping import MappingError, mapping_from_dict
from sla_core.ingest.store import import_file, open_store
from sla_core.policy import Policy
from tests.conftest import SAMPLE_POLICY

from .helpers import accounted, rejects


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def write(tmp_path: Path, name: str, data: object) -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def deploys(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT tool, deploy_id, service, deployed_at, version FROM deploys ORDER BY ALL").fetchall()


# A plain deploys file, one case per line (the file's line numbers, the header being line 1).
PLAIN_DEPLOYS_CSV = ("deploy_id,service,deployed_at,version,tool\n"
                     "D1,checkout,2026-11-02T08:00:00Z,1.4.0,github\n"   # line 2: kept whole
                     "D2,,2026-11-02T08:10:00Z,1.4.1,github\n"           # 3: no service: matches no incident
                     "D3,checkout,soon,1.4.2,github\n"                   # 4: no readable time
                     "D1,checkout,2026-11-02T08:30:00Z,1.4.3,github\n"   # 5: github's D1 again
                     "D1,checkout,2026-11-02T08:30:00Z,1.4.3,argocd\n"   # 6: argocd's D1: another deploy
                     "D4,search,2026-11-02 09:00,,\n"                    # 7: no tool
                     ",search,2026-11-02T09:00:00Z,,github\n"            # 8: no id
                     "D5,search,2026-11-02 09:00,,github\n")             # 9: naive time, in the policy's zone


def test_a_plain_deploys_file_is_known_by_its_header_and_rejects_with_reasons(tmp_path: Path,
                                                                               policy: Policy) -> None:
    con = duckdb.connect()
    report = load_files(con, write(tmp_path, "deploys.csv", PLAIN_DEPLOYS_CSV), None, policy)
    accounted(report)
    assert (report.format, report.rows_read, report.accepted, report.rejected) == ("deploys", 8, 3, 5)
    assert rejects(con) == [
        (3, "service", None, "missing required value"), (4, "deployed_at", "soon", "unparseable timestamp"),
        (5, "deploy_id", "D1", "duplicate deploy_id (its first good row is kept)"),
        (7, "tool", None, "missing required value"), (8, "deploy_id", None, "missing required value")]
    # the sample policy's zone is Europe/London, on GMT in November: 09:00 local is 09:00 UTC
    assert deploys(con) == [("argocd", "D1", "checkout", utc("2026-11-02 08:30"), "1.4.3"),
                            ("github", "D1", "checkout", utc("2026-11-02 08:00"), "1.4.0"),
                            ("github", "D5", "search", utc("2026-11-02 09:00"), None)]
    assert con.execute("SELECT DISTINCT file FROM rejects").fetchall() == [("deploys",)]


def test_the_import_names_the_tool_of_a_file_without_one(tmp_path: Path, policy: Policy) -> None:
    path = write(tmp_path, "deploys.csv", "deploy_id,service,deployed_at\nR1,auth,2026-11-02T10:00:00Z\n")
    con = duckdb.connect()
    with pytest.raises(LoadError, match="required column 'tool'.*--tool NAME"):
        load_files(con, path, None, policy)
    report = load_files(con, path, None, policy, tool="spinnaker")
    assert (report.accepted, deploys(con)) == (1, [("spinnaker", "R1", "auth", utc("2026-11-02 10:00"), None)])
    # --tool is the deploys' own: a tickets file refuses it
    tickets = write(tmp_path, "tickets.csv", "ticket_id,created_at,impact\nT1,2026-11-02 10:00,high\n")
    with pytest.raises(LoadError, match="--tool names the tool of a deploys file"):
        load_files(con, tickets, None, policy, tool="github")


def test_a_json_list_of_deploys_and_a_mapping_with_format_deploys(tmp_path: Path, policy: Policy) -> None:
    con = duckdb.connect()
    plain = [{"deploy_id": "G1", "service": "checkout", "deployed_at": "2026-11-02T07:00:00Z", "version": "2.0.0",
              "tool": "github"}]
    report = load_files(con, write(tmp_path, "deploys.json", plain), None, policy)
    assert (report.format, report.accepted) == ("deploys", 1)
    # GitHub's REST "list deployments" answer (docs.github.com/rest/deployments, trimmed): its own field names
    github = [{"id": 1, "sha": "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d", "ref": "topic-branch",
               "task": "deploy", "environment": "production", "created_at": "2012-07-20T01:19:13Z",
               "payload": {}, "description": "Deploy request from hubot"}]
    mapping = mapping_from_dict({"format": "deploys", "columns": {
        "deploy_id": "id", "service": "environment", "deployed_at": "created_at", "version": "sha"}})
    report = load_files(con, write(tmp_path, "github.json", github), None, policy, mapping=mapping, tool="github")
    accounted(report)
    assert deploys(con) == [("github", "1", "production", utc("2012-07-20 01:19:13"),
                             "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d")]
    with pytest.raises(MappingError, match="created_at not a canonical column of format deploys"):
        mapping_from_dict({"format": "deploys", "columns": {"created_at": "x"}})


def test_the_store_upserts_deploys_by_tool_and_id(tmp_path: Path, policy: Policy,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.duckdb"
    first = write(tmp_path, "deploys.csv", "deploy_id,service,deployed_at,version,tool\n"
                                           "D1,checkout,2026-11-02T08:00:00Z,1.4.0,github\n"
                                           "D2,search,2026-11-02T09:00:00Z,3.1.0,github\n")
    assert cli_main(["import", str(first), "--db", str(db), "--policy", str(SAMPLE_POLICY)]) == 0
    assert "deploys new 2, updated 0, unchanged 0" in capsys.readouterr().out
    again = import_file(first, db=db, policy=policy)
    assert (again.kind, again.new, again.updated, again.unchanged) == ("deploys", 0, 0, 2)
    # D1's version corrected upstream: one deploy updated, the other unchanged, a third new
    later = write(tmp_path, "later.csv", "deploy_id,service,deployed_at,version,tool\n"
                                         "D1,checkout,2026-11-02T08:00:00Z,1.4.1,github\n"
                                         "D2,search,2026-11-02T09:00:00Z,3.1.0,github\n"
                                         "D3,search,2026-11-02T11:00:00Z,3.1.1,github\n")
    changed = import_file(later, db=db, policy=policy)
    assert (changed.new, changed.updated, changed.unchanged) == (1, 1, 1)
    con = open_store(db, read_only=True)
    try:
        assert con.execute("SELECT deploy_id, version FROM deploys ORDER BY 1").fetchall() == [
            ("D1", "1.4.1"), ("D2", "3.1.0"), ("D3", "3.1.1")]
        assert con.execute("SELECT count(*) FROM tickets").fetchall() == [(0,)]  # nothing else touched
    finally:
        con.close()
