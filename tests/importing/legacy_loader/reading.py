"""Reading a CSV or Parquet file as text, every line accounted for: parsed rows numbered by
their line in the file (a quoted value spanning lines moves the next row down, as an editor
shows it; Parquet rows by position), malformed lines kept with a reason."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Union

import duckdb

from tests.importing.legacy_loader.report import LoadError
from tests.importing.legacy_loader.sql import ORD, ROW
from sla_core.sqlutil import fetch_one, placeholders, quote_ident

PathLike = Union[str, Path]

_MALFORMED_REASONS = {
    "TOO MANY COLUMNS": "malformed line: too many columns",
    "MISSING COLUMNS": "malformed line: missing columns",
    "INVALID ENCODING": "not UTF-8 text",
    "UNQUOTED VALUE": "malformed line: stray quote",
    "LINE SIZE OVER MAXIMUM": "malformed line: line too long",
}


@dataclass
class Raw:
    table: str
    columns: list[str]  # source columns, in file order
    parsed: int
    malformed: int
    delimiter: str = ","


def read_raw(con: duckdb.DuckDBPyConnection, path: PathLike, table: str, label: str) -> Raw:
    """Read a file into `table` (all VARCHAR plus ROW), and its malformed lines into `table`_bad."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise LoadError(f"{label} {name}: no such file")
    if path.stat().st_size == 0:
        raise LoadError(f"{label} {name}: the file is empty")
    con.execute(f"DROP TABLE IF EXISTS {table}_bad")
    con.execute(f"CREATE TEMP TABLE {table}_bad (row_number BIGINT, reason VARCHAR, value VARCHAR)")
    if path.suffix.lower() in (".parquet", ".pq"):
        return _read_parquet(con, path, table, label)
    if path.suffix.lower() == ".json":
        return _read_json(con, path, table, label)
    return _read_csv(con, path, table, label)


def _refuse_binary_header(cols: list[str], path: Path, label: str) -> None:
    """NUL bytes in column names mean UTF-16 text or a binary file: one clear line, not a traceback."""
    if not any("\x00" in c for c in cols):
        return
    with path.open("rb") as f:
        utf16 = f.read(2) in (b"\xff\xfe", b"\xfe\xff")
    hint = "the file is UTF-16: save it as UTF-8 CSV" if utf16 else "a binary file, not a CSV?"
    raise LoadError(f"{label} {path.name}: the header holds NUL bytes ({hint})")


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Raw:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: not a readable Parquet file ({_first_line(err)})") from None
    cols = [row[0] for row in described if row[0] != "file_row_number"]
    _refuse_binary_header(cols, path, label)
    casts = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS {quote_ident(c)}" for c in cols)
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT file_row_number + 1 AS {ROW}, {casts} "
        "FROM read_parquet(?, file_row_number = true)",
        [str(path)],
    )
    parsed = fetch_one(con.execute(f"SELECT count(*) FROM {table}"))[0]
    if parsed == 0:
        raise LoadError(f"{label} {path.name}: the file has columns but no rows")
    return Raw(table, cols, parsed, 0)


# The key under which a tool's API answer holds its list of records (PagerDuty `incidents`, Opsgenie and Datadog
# `data`), tried in this order; any other key holding a list of objects is taken when none of these is there.
JSON_LIST_KEYS: tuple[str, ...] = ("incidents", "data", "alerts", "issues", "events", "items", "results")


def _read_json(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Raw:
    """A JSON file as a text table: a list of objects, or an API answer holding one (see JSON_LIST_KEYS).

    Each nested field becomes a column named by its path (`service.summary`, `attributes.detected`); a list
    stays one JSON text cell. Rows are numbered by position in the list (1-based), as Parquet rows are.
    """
    try:  # the text goes in as a parameter: DuckDB's own file readers would take a `*` in the name as a pattern
        text = path.read_text(encoding="utf-8-sig")
        con.execute(f"DROP TABLE IF EXISTS {table}_doc")
        con.execute(f"CREATE TEMP TABLE {table}_doc AS SELECT CAST(? AS JSON) AS doc", [text])
        kind, keys = fetch_one(con.execute(f"SELECT json_type(doc), json_keys(doc) FROM {table}_doc"))
    except UnicodeDecodeError:
        raise LoadError(f"{label} {path.name}: not UTF-8 text") from None
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: not readable JSON ({_first_line(err)})") from None
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
    con.execute(f"DROP TABLE IF EXISTS {table}")
    try:
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT n AS {ROW}, {picks} FROM {table}_items ORDER BY n",
                    [_json_path(*keys) for keys in paths])
    except duckdb.Error as err:  # e.g. two fields whose names differ only in case
        raise LoadError(f"{label} {path.name}: cannot read its records as columns ({_first_line(err)})") from None
    for t in (f"{table}_doc", f"{table}_items"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return Raw(table, cols, parsed, 0)


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


def _read_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str, label: str) -> Raw:
    rej, scan = f"{table}_rj", f"{table}_rs"
    con.execute(f"DROP TABLE IF EXISTS {rej}")
    con.execute(f"DROP TABLE IF EXISTS {scan}")
    con.execute(f"DROP TABLE IF EXISTS {table}_0")
    try:
        con.execute(
            f"CREATE TEMP TABLE {table}_0 AS SELECT * FROM read_csv(?, all_varchar = true, header = true, "
            f"store_rejects = true, rejects_table = '{rej}', rejects_scan = '{scan}')",
            [str(path)],
        )
    except duckdb.Error as err:
        raise LoadError(f"{label} {path.name}: cannot read as CSV ({_first_line(err)})") from None
    cols = [d[0] for d in con.execute(f"SELECT * FROM {table}_0 LIMIT 0").description]
    _refuse_binary_header(cols, path, label)
    parsed = fetch_one(con.execute(f"SELECT count(*) FROM {table}_0"))[0]
    scan_row = con.execute(f"SELECT delimiter, skip_rows FROM {scan} LIMIT 1").fetchone()  # none: an empty file
    delimiter, skip = (scan_row[0], int(scan_row[1] or 0)) if scan_row else (",", 0)
    # One malformed record may be reported once per problem: count lines, not errors.
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT line, arg_min(error_type::VARCHAR, column_idx), arg_min(csv_line, column_idx)
        FROM {rej} GROUP BY line"""
    )
    malformed = fetch_one(con.execute(f"SELECT count(*) FROM {table}_bad"))[0]
    if parsed == 0 and malformed == 0:
        if cols == ["column0"] and not path.read_bytes()[:4096].strip(b"\xef\xbb\xbf \r\n\t"):
            raise LoadError(f"{label} {path.name}: the file is empty")
        raise LoadError(f"{label} {path.name}: the file has a header but no data rows")
    if parsed == 0:
        top = fetch_one(con.execute(f"SELECT reason FROM {table}_bad GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"))[0]
        raise LoadError(
            f"{label} {path.name}: none of its {malformed} data lines could be read ({_malformed_reason(top)}); "
            f"is {delimiter!r} the right delimiter?"
        )
    _number_rows(con, table, cols, first_line=2 + skip)
    for error_type, reason in _MALFORMED_REASONS.items():
        con.execute(f"UPDATE {table}_bad SET reason = ? WHERE reason = ?", [reason, error_type])
    con.execute(
        f"UPDATE {table}_bad SET reason = 'malformed line: ' || lower(reason) WHERE reason NOT IN "
        f"({placeholders(len(_MALFORMED_REASONS))})",
        list(_MALFORMED_REASONS.values()),
    )
    con.execute(f"DROP TABLE IF EXISTS {rej}")
    con.execute(f"DROP TABLE IF EXISTS {scan}")
    return Raw(table, cols, parsed, malformed, delimiter)


def _malformed_reason(error_type: str) -> str:
    return _MALFORMED_REASONS.get(error_type, f"malformed line: {error_type.lower()}")


def _number_rows(con: duckdb.DuckDBPyConnection, table: str, cols: list[str], first_line: int) -> None:
    """Give parsed and malformed records the file line they start on.

    DuckDB numbers malformed records by record (header = 1), and parsed records
    keep file order (rowid). A record spans 1 + (newlines inside its quoted
    values) lines, so both are turned into physical line numbers here. The
    malformed records before parsed record k are counted with an ASOF join
    (malformed record j precedes parsed k when d_j - (j - 1) <= k).
    """
    newlines = " + ".join(
        f"coalesce(length({quote_ident(c)}) - length(replace({quote_ident(c)}, chr(10), '')), 0)" for c in cols
    )
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_bad_n AS
        SELECT row_number - 1 AS d, row_number() OVER (ORDER BY row_number) AS j, reason, value FROM {table}_bad"""
    )
    multiline = newlines and fetch_one(con.execute(
        "SELECT bool_or(" + " OR ".join(f"contains({quote_ident(c)}, chr(10))" for c in cols) + f") FROM {table}_0"
    ))[0]
    malformed = fetch_one(con.execute(f"SELECT count(*) FROM {table}_bad"))[0]
    if not multiline and not malformed:  # every record is one line: record k is line first_line + k - 1
        con.execute(f"DROP TABLE IF EXISTS {table}")
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT {first_line} + rowid AS {ROW}, * FROM {table}_0 ORDER BY rowid")
        for t in (f"{table}_0", f"{table}_bad_n"):
            con.execute(f"DROP TABLE IF EXISTS {t}")
        return
    if multiline:
        before = "coalesce(sum(span) OVER (ORDER BY k ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)"
    else:
        before = "k - 1"
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_placed AS
        WITH spans AS (SELECT rowid + 1 AS k, rowid AS {ORD}, 1 + {newlines or '0'} AS span, * FROM {table}_0)
        SELECT *, {before} AS before FROM spans"""
    )
    con.execute(f"DROP TABLE IF EXISTS {table}")
    con.execute(
        f"""CREATE TEMP TABLE {table} AS
        WITH steps AS (SELECT d - (j - 1) AS t, max(j) AS j FROM {table}_bad_n GROUP BY 1)
        SELECT {first_line} + p.before + coalesce(s.j, 0) AS {ROW}, p.* EXCLUDE ({ORD}, k, span, before)
        FROM {table}_placed p ASOF LEFT JOIN steps s ON p.k >= s.t
        ORDER BY p.k"""
    )
    con.execute(f"DELETE FROM {table}_bad")
    con.execute(
        f"""INSERT INTO {table}_bad
        SELECT {first_line} + coalesce(p.before + p.span, 0) + (b.j - 1), b.reason, b.value
        FROM {table}_bad_n b LEFT JOIN {table}_placed p ON p.k = b.d - b.j"""
    )
    for t in (f"{table}_0", f"{table}_bad_n", f"{table}_placed"):
        con.execute(f"DROP TABLE IF EXISTS {t}")


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0] if text else type(err).__name__
