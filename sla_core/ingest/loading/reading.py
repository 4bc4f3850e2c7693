"""The file a load reads, every line accounted for: a CSV scanned by DuckDB's reader in the one statement that
stages it (loading/staging.py), a Parquet file kept typed, a JSON answer's list of records; then the CSV's
malformed lines with their reasons, and its rows numbered by their line in the file (a quoted value spanning
lines moves the next row down, as an editor shows it; Parquet and JSON rows by position).

A CSV's rows are numbered straight from file order unless it has malformed or multi-line rows: only then is it
read a second time, to place each row on its line.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import duckdb

from sla_core.ingest.loading.report import LoadError
from sla_core.ingest.loading.sql import ORD, ROW, ParamSql
from sla_core.sqlutil import fetch_one, quote_ident

PathLike = Union[str, Path]

_MALFORMED_REASONS = {
    "TOO MANY COLUMNS": "malformed line: too many columns",
    "MISSING COLUMNS": "malformed line: missing columns",
    "INVALID ENCODING": "not UTF-8 text",
    "UNQUOTED VALUE": "malformed line: stray quote",
    "LINE SIZE OVER MAXIMUM": "malformed line: line too long",
}
PARQUET = (".parquet", ".pq")
SAMPLE_ROWS = 2048  # the first rows a file shows its layouts in


@dataclass
class Source:
    """A file as one load reads it. `scan` is the FROM clause that yields its columns: DuckDB's CSV reader, its
    Parquet reader (typed columns, ROW from the row position), or the records of a JSON answer (ROW too)."""

    path: Path
    label: str  # "tickets tickets.csv": how messages name the file
    table: str  # prefix of this file's scratch tables
    columns: list[str]  # the file's columns, in file order
    types: dict[str, str]  # column -> DuckDB type (VARCHAR for every column of a CSV or JSON file)
    scan: ParamSql
    positional: bool  # the scan carries ROW (Parquet, JSON); a CSV's rows are numbered from file order
    parsed: int = 0
    malformed: int = 0
    delimiter: str = ","
    first_line: int = 2  # the line of the first data row
    placed: bool = False  # rows placed on their lines through `{table}_lines` (malformed or multi-line rows)
    head: Optional[list[tuple]] = field(default=None, repr=False)  # a CSV's first rows, as its columns read
    lines: Optional["_LineCount"] = field(default=None, repr=False)

    def sample(self, column: str) -> Optional[list[str]]:
        """The texts of a CSV column on its first rows (None: read them with the scan)."""
        if self.head is None:
            return None
        i = self.columns.index(column)
        return [text for row in self.head if isinstance(text := row[i], str) and (text := text.strip(" "))]

    @property
    def bad(self) -> str:
        """The table of malformed lines: row_number, reason, value."""
        return f"{self.table}_bad"

    @property
    def csv(self) -> bool:
        return not self.positional


def open_source(con: duckdb.DuckDBPyConnection, path: PathLike, table: str, label: str) -> Source:
    """The file's columns and how to scan it; LoadError for a file that cannot be read at all. `label` names
    what the file holds (tickets, events, event log, signals, surveys)."""
    path = Path(path)
    if not path.is_file():
        raise LoadError(f"{label} {path.name}: no such file")
    if path.stat().st_size == 0:
        raise LoadError(f"{label} {path.name}: the file is empty")
    for suffix in ("_bad", "_rj", "_rs", "_spans", "_lines"):
        con.execute(f"DROP TABLE IF EXISTS {table}{suffix}")
    con.execute(f"CREATE TEMP TABLE {table}_bad (row_number BIGINT, reason VARCHAR, value VARCHAR)")
    if path.suffix.lower() in PARQUET:
        return _open_parquet(con, path, table, label)
    if path.suffix.lower() == ".json":
        return _open_json(con, path, table, label)
    return _open_csv(con, path, table, label)


def drop_scratch(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    for suffix in ("", "_bad", "_rj", "_rs", "_rj0", "_rs0", "_rj2", "_rs2", "_rj3", "_rs3", "_spans", "_lines", "_doc",
                   "_items"):
        con.execute(f"DROP TABLE IF EXISTS {source.table}{suffix}")


def _refuse_binary_header(cols: list[str], path: Path, label: str) -> None:
    """NUL bytes in column names mean UTF-16 text or a binary file: one clear line, not a traceback."""
    if not any("\x00" in c for c in cols):
        return
    with path.open("rb") as f:
        head = f.read(64)
    # UTF-16 with a byte-order mark, or without one (Excel's "Unicode text"): a NUL beside each ASCII character
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff") or (
        len(head) >= 8 and (head[0::2].count(0) == len(head[0::2]) or head[1::2].count(0) == len(head[1::2])))
    hint = "the file is UTF-16: save it as UTF-8 CSV" if utf16 else "a binary file, not a CSV?"
    raise LoadError(f"{label} {path.name}: the header holds NUL bytes ({hint})")


def _open_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Source:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        rows = fetch_one(con.execute("SELECT count(*) FROM read_parquet(?)", [str(path)]))[0]
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: not a readable Parquet file ({reader_complaint(err)})") from None
    types = {row[0]: str(row[1]) for row in described if row[0] != "file_row_number"}
    cols = list(types)
    _refuse_binary_header(cols, path, label)
    if rows == 0:
        raise LoadError(f"{label} {path.name}: the file has columns but no rows")
    picks = ", ".join(quote_ident(c) for c in cols)
    scan = ParamSql().add(f"(SELECT file_row_number + 1 AS {ROW}, {picks} FROM read_parquet(?, file_row_number = true))",
                          str(path))
    return Source(path, f"{label} {path.name}", table, cols, types, scan, positional=True, parsed=int(rows))


# The key under which a tool's API answer holds its list of records (PagerDuty `incidents`, Opsgenie and Datadog
# `data`), tried in this order; any other key holding a list of objects is taken when none of these is there.
JSON_LIST_KEYS: tuple[str, ...] = ("incidents", "data", "alerts", "issues", "events", "items", "results")


def _open_json(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Source:
    """A JSON file as a text table: a list of objects, or an API answer holding one (see JSON_LIST_KEYS).

    Each nested field becomes a column named by its path (`service.summary`, `attributes.detected`); a list
    stays one JSON text cell. Rows are numbered by position in the list (1-based), as Parquet rows are. The
    staging reads each field out of the records (`{table}_items`) as it stages them.
    """
    try:  # the text goes in as a parameter: DuckDB's own file readers would take a `*` in the name as a pattern
        text = path.read_text(encoding="utf-8-sig")
        con.execute(f"DROP TABLE IF EXISTS {table}_doc")
        con.execute(f"CREATE TEMP TABLE {table}_doc AS SELECT CAST(? AS JSON) AS doc", [text])
        kind, keys = fetch_one(con.execute(f"SELECT json_type(doc), json_keys(doc) FROM {table}_doc"))
    except UnicodeDecodeError:
        raise LoadError(f"{label} {path.name}: not UTF-8 text") from None
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: not readable JSON ({reader_complaint(err)})") from None
    if kind == "ARRAY":
        list_path = "$"
    else:  # the keys holding a list whose first item is an object
        lists = [k for k in (keys or []) if fetch_one(con.execute(
            f"SELECT json_type(doc, ?) = 'OBJECT' FROM {table}_doc", [_json_path(k) + "[0]"]))[0]]
        chosen = next((k for k in JSON_LIST_KEYS if k in lists), lists[0] if lists else None)
        if chosen is None:
            raise LoadError(f"{label} {path.name}: the JSON holds no list of records (looked for a top-level list "
                            f"or a key such as {', '.join(JSON_LIST_KEYS[:3])})")
        list_path = _json_path(chosen)
    con.execute(f"DROP TABLE IF EXISTS {table}_items")
    con.execute(
        f"""CREATE TEMP TABLE {table}_items AS
        SELECT unnest(generate_series(1, len(items))) AS n, unnest(items) AS item FROM (
            SELECT json_extract(doc, ?)::JSON[] AS items FROM {table}_doc)""",
        [f"{list_path}[*]" if list_path != "$" else "$[*]"],
    )
    parsed = fetch_one(con.execute(f"SELECT count(*) FROM {table}_items"))[0]
    if parsed == 0:
        raise LoadError(f"{label} {path.name}: the JSON list of records is empty")
    structure = fetch_one(con.execute(f"SELECT json_group_structure(item) FROM {table}_items"))[0]
    paths = _leaf_paths(json.loads(structure))
    cols, seen = [], set()
    for keys in paths:  # DuckDB's column names ignore case: a second `ID` beside `id` is named `ID (2)`
        name, n = ".".join(keys), 1
        while name.lower() in seen:
            n += 1
            name = f"{'.'.join(keys)} ({n})"
        seen.add(name.lower())
        cols.append(name)
    if not cols:
        raise LoadError(f"{label} {path.name}: the JSON's records are not objects with fields")
    picks = ", ".join(f"json_extract_string(item, ?) AS {quote_ident(c)}" for c in cols)
    con.execute(f"DROP TABLE IF EXISTS {table}_doc")
    scan = ParamSql().add(f"(SELECT n AS {ROW}, {picks} FROM {table}_items)", *[_json_path(*keys) for keys in paths])
    return Source(path, f"{label} {path.name}", table, cols, {c: "VARCHAR" for c in cols}, scan, positional=True,
                  parsed=int(parsed))


def _json_path(*keys: str) -> str:
    """A JSON path naming each key literally (quoted), for a key with dots or spaces."""
    return "$" + "".join("." + json.dumps(k, ensure_ascii=False) for k in keys)


def _leaf_paths(structure: object, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The keys down to each field of an object structure; an object is opened, anything else is a leaf."""
    if not isinstance(structure, dict):
        return [prefix] if prefix else []
    out: list[tuple[str, ...]] = []
    for key, sub in structure.items():
        path = (*prefix, key)
        out.extend(_leaf_paths(sub, path) if isinstance(sub, dict) and sub else [path])
    return out


def _csv_scan(path: Path, table: str, rejects: str = "") -> ParamSql:
    """DuckDB's CSV reader over the file, every cell as text, malformed lines kept in `{table}_rj{rejects}`."""
    return ParamSql().add(
        f"read_csv(?, all_varchar = true, header = true, store_rejects = true, "
        f"rejects_table = '{table}_rj{rejects}', rejects_scan = '{table}_rs{rejects}')", str(path))


def _open_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Source:
    """The CSV's columns, as DuckDB's reader finds them, and its first rows (the staging's pre-pass reads them)."""
    first = _csv_scan(path, table, "0")
    try:
        cursor = con.execute(f"SELECT * FROM {first.sql} LIMIT {SAMPLE_ROWS}", first.params)
        cols, head = [d[0] for d in cursor.description], cursor.fetchall()
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: cannot read as CSV ({reader_complaint(err)})") from None
    _refuse_binary_header(cols, path, label)
    source = Source(path, f"{label} {path.name}", table, cols, {c: "VARCHAR" for c in cols}, _csv_scan(path, table),
                    positional=False, head=head)
    source.lines = _LineCount(path)
    return source


def rescan(con: duckdb.DuckDBPyConnection, source: Source) -> ParamSql:
    """Another scan of the file as it was staged (its rows in the same order: a CSV's rowid is the staged rowid),
    for what the staging did not keep (the whole text of a row, an untrimmed text a message quotes)."""
    if source.positional:
        return source.scan
    for suffix in ("_rj3", "_rs3"):
        con.execute(f"DROP TABLE IF EXISTS {source.table}{suffix}")
    return _csv_scan(source.path, source.table, "3")


def reset_reads(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Forget what an earlier read of the file recorded (a CSV staged a second time, with the order its dates
    turned out to have)."""
    for suffix in ("_rj", "_rs", "_lines"):
        con.execute(f"DROP TABLE IF EXISTS {source.table}{suffix}")
    con.execute(f"DELETE FROM {source.bad}")
    source.placed = False


def read_counts(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Read a CSV whole, only to count it (a file that cannot be planned: its own problems are told first)."""
    if source.positional:
        return
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {source.table} AS SELECT * FROM {source.scan.sql}",
                    source.scan.params)
    except duckdb.Error as err:
        raise LoadError(f"{source.label}: cannot read as CSV ({reader_complaint(err)})") from None
    account_rows(con, source, source.table)


def scan_error(source: Source, err: duckdb.Error) -> LoadError:
    """The one line for a file whose scan fails while it is staged."""
    what = "cannot read as CSV" if source.csv else "cannot read its records as columns"
    return LoadError(f"{source.label}: {what} ({reader_complaint(err)})")


def account_rows(con: duckdb.DuckDBPyConnection, source: Source, staged: str) -> None:
    """After a CSV is staged into `staged`: its parsed rows and malformed lines counted, a file without readable
    rows refused in one line, and its rows placed on their lines where file order alone does not tell them."""
    if source.positional:
        return
    table, path, label = source.table, source.path, source.label
    source.parsed = fetch_one(con.execute(f"SELECT count(*) FROM {staged}"))[0]
    scan_row = con.execute(f"SELECT delimiter, skip_rows FROM {table}_rs LIMIT 1").fetchone()  # none: an empty file
    delimiter, skip = (scan_row[0], int(scan_row[1] or 0)) if scan_row else (",", 0)
    source.delimiter, source.first_line = delimiter, 2 + skip
    reasons = " ".join("WHEN ? THEN ?" for _ in _MALFORMED_REASONS)
    # One malformed record may be reported once per problem: count lines, not errors.
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT line, CASE reason {reasons} ELSE 'malformed line: ' || lower(reason) END, value FROM (
            SELECT line, arg_min(error_type::VARCHAR, column_idx) AS reason, arg_min(csv_line, column_idx) AS value
            FROM {table}_rj GROUP BY line)""",
        [x for pair in _MALFORMED_REASONS.items() for x in pair],
    )
    source.malformed = fetch_one(con.execute(f"SELECT count(*) FROM {table}_bad"))[0]
    if source.parsed == 0 and source.malformed == 0:
        if source.columns == ["column0"] and not path.read_bytes()[:4096].strip(b"\xef\xbb\xbf \r\n\t"):
            raise LoadError(f"{label}: the file is empty")
        raise LoadError(f"{label}: the file has a header but no data rows")
    if source.parsed == 0:
        top = fetch_one(con.execute(
            f"SELECT reason, count(*) FROM {table}_bad GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))[0]
        raise LoadError(
            f"{label}: none of its {source.malformed} data lines could be read ({top}); "
            f"is {delimiter!r} the right delimiter?"
        )
    if source.malformed == 0 and source.lines is not None and source.lines.total() == source.first_line - 1 + source.parsed:
        return  # one line per row: row k is line first_line + k - 1
    _place_rows(con, source)


def row_sql(source: Source, alias: str) -> tuple[str, str]:
    """(SQL of a staged row's number, the join that SQL needs) for the staged table under `alias`."""
    if source.positional:
        return f"{alias}.{ROW}", ""
    if source.placed:
        return "__lines.line", f" LEFT JOIN {source.table}_lines __lines ON __lines.k = {alias}.rowid"
    return f"{source.first_line} + {alias}.rowid", ""


class _LineCount:
    """The file's line count, counted on a thread while DuckDB reads the file: one line per row in a file of as
    many lines as rows spares placing the rows."""

    def __init__(self, path: Path) -> None:
        self._count: Optional[int] = None
        self._thread = threading.Thread(target=self._run, args=(path,), daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        newlines, last = 0, b"\n"
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        try:
            with opener(path, "rb") as fh:
                while chunk := fh.read(8 << 20):
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
        except (OSError, EOFError):
            return
        self._count = newlines + (last != b"\n")

    def total(self) -> Optional[int]:
        self._thread.join()
        return self._count


def _place_rows(con: duckdb.DuckDBPyConnection, source: Source) -> None:
    """Give parsed and malformed records the file line they start on (`{table}_lines`, the bad lines renumbered).

    DuckDB numbers malformed records by record (header = 1), and parsed records keep file order (rowid). A
    record spans 1 + (newlines inside its quoted values) lines, read from a second scan of the file, so both
    are turned into physical line numbers here. The malformed records before parsed record k are counted with
    an ASOF join (malformed record j precedes parsed k when d_j - (j - 1) <= k).
    """
    table, first_line = source.table, source.first_line
    scan = _csv_scan(source.path, table, "2")
    newlines = " + ".join(
        f"coalesce(length({quote_ident(c)}) - length(replace({quote_ident(c)}, chr(10), '')), 0)"
        for c in source.columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table}_spans AS SELECT 1 + {newlines or '0'} AS span FROM {scan.sql}",
                scan.params)
    multiline = fetch_one(con.execute(f"SELECT coalesce(max(span), 1) > 1 FROM {table}_spans"))[0]
    if not multiline and not source.malformed:  # every record is one line after all (a blank line, a lone CR)
        return
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_bad_n AS
        SELECT row_number - 1 AS d, row_number() OVER (ORDER BY row_number) AS j, reason, value FROM {table}_bad"""
    )
    before = ("coalesce(sum(span) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
              if multiline else "k - 1")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_placed AS
        WITH spans AS (SELECT rowid + 1 AS k, rowid AS {ORD}, span FROM {table}_spans)
        SELECT *, {before} AS before FROM spans"""
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_lines AS
        WITH steps AS (SELECT d - (j - 1) AS t, max(j) AS j FROM {table}_bad_n GROUP BY 1)
        SELECT p.{ORD} AS k, {first_line} + p.before + coalesce(s.j, 0) AS line
        FROM {table}_placed p ASOF LEFT JOIN steps s ON p.k >= s.t"""
    )
    con.execute(f"DELETE FROM {table}_bad")
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT {first_line} + coalesce(p.before + p.span, 0) + (b.j - 1), b.reason, b.value
        FROM {table}_bad_n b LEFT JOIN {table}_placed p ON p.k = b.d - b.j"""
    )
    for t in (f"{table}_bad_n", f"{table}_placed", f"{table}_spans"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    source.placed = True


# What DuckDB's reader says, in the words of a person holding the file: the first pattern found in its message
# wins; any other message loses its error class and any path (a server's temporary upload name means nothing to
# the person who chose the file).
_PLAIN: tuple[tuple[str, str], ...] = (
    (r"Error when sniffing file", "no columns could be told apart in it: is it a text CSV with a header row? "
                                  "A spreadsheet, a zip or another binary file renamed .csv cannot be read"),
    (r"No magic bytes found", "another kind of file renamed .parquet?"),
    (r"Malformed JSON at (byte \d+)[^:]*: ([^.]*)", r"malformed JSON at \1: \2"),
    (r"Invalid unicode|invalid UTF-8", "not UTF-8 text: save it as UTF-8"),
)


def reader_complaint(err: BaseException) -> str:
    """The reader's complaint in plain words, without a database error class or a file path."""
    text = str(err).strip().splitlines()
    line = text[0] if text else type(err).__name__
    for pattern, plain in _PLAIN:
        found = re.search(pattern, line)
        if found:
            return found.expand(plain)
    line = re.sub(r"^[A-Za-z ]*Error: ", "", line)
    return re.sub(r"""(["'])/[^"']*\1|/\S+""", "the file", line).strip().rstrip(".")
