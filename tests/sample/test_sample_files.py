"""The committed sample is exactly what its documented command writes, in files DuckDB reads back."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import sla_core.sample as sample
from sla_core.cli import main as cli_main
from sla_core.columns import EVENT_COLUMNS, FILE_COLUMNS, events_ddl, tickets_ddl
from tests.conftest import ROOT

SAMPLE_DIR = ROOT / "sample_data"
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$")


def documented_command() -> list[str]:
    """The regenerate command as the package docstring prints it, minus `python -m sla_core`."""
    lines = [line.strip() for line in (sample.__doc__ or "").splitlines() if line.strip().startswith("python -m sla_core sample")]
    assert len(lines) == 1, "the package docstring documents one regenerate command"
    return shlex.split(lines[0])[3:]


def with_out(args: list[str], out: Path) -> list[str]:
    args = list(args)
    args[args.index("--out") + 1] = str(out)
    return args


def test_committed_sample_is_what_the_documented_command_writes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = documented_command()
    assert Path(args[args.index("--out") + 1]) == Path("sample_data")
    assert cli_main(with_out(args, tmp_path)) == 0
    assert "wrote 3000 tickets" in capsys.readouterr().out
    for name in ("tickets.csv", "events.csv", "signals.csv", "surveys.csv", "deploys.csv"):
        assert (tmp_path / name).read_bytes() == (SAMPLE_DIR / name).read_bytes(), (
            f"sample_data/{name} is stale: regenerate with python -m sla_core {' '.join(args)}"
        )


def test_committed_sample_is_small_and_spans_the_year() -> None:
    assert sum((SAMPLE_DIR / n).stat().st_size for n in ("tickets.csv", "events.csv")) < 2 * 1024**2
    con = duckdb.connect()
    first, last, n = con.execute(
        "SELECT min(created_at), max(created_at), count(*) FROM read_csv(?, all_varchar = true)",
        [str(SAMPLE_DIR / "tickets.csv")],
    ).fetchone()
    assert n == 3000
    assert first.startswith("2025-12-01") and last.startswith("2026-11-26")


def test_csv_timestamps_carry_their_offset_and_load_into_typed_tables() -> None:
    con = duckdb.connect()
    header = con.execute("SELECT * FROM read_csv(?, all_varchar = true) LIMIT 0", [str(SAMPLE_DIR / "tickets.csv")])
    assert [d[0] for d in header.description] == list(FILE_COLUMNS)  # the loader fills `unmeasured`
    stamps = con.execute(
        """SELECT DISTINCT v FROM (
             SELECT unnest([created_at, acknowledged_at, resolved_at, detected_at]) AS v
             FROM read_csv(?, all_varchar = true)) WHERE v IS NOT NULL""",
        [str(SAMPLE_DIR / "tickets.csv")],
    ).fetchall()
    assert stamps and all(ISO_WITH_OFFSET.match(v) for (v,) in stamps)
    assert {v[-6:] for (v,) in stamps} == {"+00:00", "+01:00"}  # winter and British Summer Time
    con.execute(tickets_ddl())
    con.execute(events_ddl())
    con.execute(f"INSERT INTO tickets ({', '.join(FILE_COLUMNS)}) SELECT * FROM read_csv(?)",
                [str(SAMPLE_DIR / "tickets.csv")])
    con.execute("INSERT INTO events SELECT *, row_number() OVER () FROM read_csv(?)", [str(SAMPLE_DIR / "events.csv")])
    assert con.execute("SELECT count(*) FROM tickets").fetchone()[0] == 3000
    assert [d[0] for d in con.execute("SELECT * FROM events LIMIT 0").description] == list(EVENT_COLUMNS)


def test_parquet_output_keeps_typed_timestamps(tmp_path: Path) -> None:
    assert cli_main(["sample", "--tickets", "200", "--seed", "3", "--out", str(tmp_path), "--format", "parquet"]) == 0
    con = duckdb.connect()
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))", [str(tmp_path / "tickets.parquet")]).fetchall())
    assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["impact"] == types["tags"] == "VARCHAR"
    assert pq.read_schema(tmp_path / "events.parquet").field("value").type == pa.string()  # not dictionary-typed
    counted = con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "tickets.parquet")]).fetchone()[0]
    assert counted == 200
    from_arrow = sample.generate(200, seed=3)[1].num_rows
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "events.parquet")]).fetchone()[0] == from_arrow


def test_cli_refuses_an_empty_range(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["sample", "--out", str(tmp_path), "--start", "2026-03-01", "--end", "2026-02-01"]) == 2
    assert "must be after start" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
