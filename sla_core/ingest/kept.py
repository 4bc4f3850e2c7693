"""Results judged when the store was written, kept in it, so the dashboard need not judge all history again.

A clock that had stopped by the instant it was judged keeps its result at any
later instant: its inputs are fixed, and later instants only move clocks still
running. So an import judges the whole store once and keeps the results; the
dashboard copies the rows of the tickets whose clocks had all stopped and
judges again, at its own now, only the tickets with a clock still running
(as the breach queue does).

Kept results are used only when they are certain to equal a full evaluation:
the same policy, the same engine code and libraries, the same timezone
rules, the same engine inputs (a checksum over them), no data instant after
the one they were judged at, and that instant not after the one asked for. Otherwise the caller
evaluates in full, as before.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import zoneinfo
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Optional

import duckdb
import holidays
import yaml

from sla_core.clocks.engine import EVENT_INPUT_COLUMNS, INPUT_COLUMNS, evaluate
from sla_core.policy import Policy
from sla_core.policy.model import policy_to_dict
from sla_core.sqlutil import fetch_one, quote_ident

KEPT_RESULTS = "kept_results"  # rows of the tickets whose clocks had all stopped
KEPT_TICKETS = "kept_running_tickets"  # the engine's input for the others, to judge again
KEPT_EVENTS = "kept_running_events"
KEPT_META = "kept_meta"
_RUNNING_IDS = "SELECT ticket_id FROM _kept_running"  # tickets with a clock still running when judged


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


@lru_cache(maxsize=1)
def engine_fingerprint() -> str:
    """Changes with any line of sla_core or the DuckDB / holidays versions: any of them may change a result."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__} holidays {holidays.__version__}".encode())
    package = Path(__file__).resolve().parents[1]  # sla_core
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def policy_fingerprint(policy: Policy) -> str:
    """Equal for policies that judge alike (same file content after validation)."""
    return _digest((policy.to_yaml() + str(policy.base_dir or "")).encode())


def _zone_rules(zone: str) -> str:
    """A digest of the zone's rules as Python reads them: a tzdata update may move a DST change."""
    for root in zoneinfo.TZPATH:
        path = Path(root) / zone
        if path.is_file():
            return _digest(path.read_bytes())
    try:
        data = importlib.resources.files("tzdata").joinpath("zoneinfo", *zone.split("/")).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError):
        return "no rules found"
    return _digest(data)


# Policy keys the engine never reads (pages and `notify` read them live): editing one keeps the kept results, so
# a changed goal or notify target does not cost every later load a full judging.
# tests/importing/test_kept_results.py edits each and checks the kept results still equal a full evaluation.
NOT_JUDGED: tuple[str, ...] = ("goals", "triage_required", "tags_required", "playbooks", "notify", "post_mortem",
                                "context_window", "forecast")


def _judged_policy(policy: Policy) -> bytes:
    """The policy's text without NOT_JUDGED, and of each route only its name (the result's `route` column)."""
    data = {k: v for k, v in policy_to_dict(policy).items() if k not in NOT_JUDGED}
    data["routes"] = {tier: route.route for tier, route in policy.routes.items()}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode()


def judge_fingerprint(policy: Policy) -> str:
    """Everything but the data that decides a result: the policy as the engine reads it, the engine, the
    timezone's rules."""
    # the policy's text, not its folder: no result depends on where the file lies
    return f"{_digest(_judged_policy(policy))}/{engine_fingerprint()}/{_zone_rules(policy.timezone)}"


def data_fingerprint(con: duckdb.DuckDBPyConnection, tickets: str, events: str) -> tuple[str, Optional[datetime]]:
    """A checksum over every engine input (ticket columns the engine reads, every event), and the latest instant in them."""
    ticket_cols = ", ".join(quote_ident(c) for c in INPUT_COLUMNS)
    event_cols = ", ".join(quote_ident(c) for c in EVENT_INPUT_COLUMNS)
    sums = fetch_one(con.execute(
        f"""
        SELECT (SELECT count(*) || ':' || coalesce(sum(hash({ticket_cols})), 0) FROM {tickets}),
               (SELECT count(*) || ':' || coalesce(sum(hash({event_cols})), 0) FROM {events}),
               greatest((SELECT max(greatest(created_at, acknowledged_at, action_plan_at, resolved_at)) FROM {tickets}),
                        (SELECT max("at") FROM {events}))
        """
    ))
    return f"{sums[0]}/{sums[1]}", sums[2]


def write_kept(con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, *, db: str) -> int:
    """Judge `db`'s tickets and events at `as_of` and keep the results in `db`; the clocks judged.

    Keeps the rows of the tickets whose clocks have all stopped, and a copy of
    the other tickets' rows and events (so the dashboard judges them again
    without searching the whole store for them). Call outside a transaction:
    the engine's scratch tables live in `con`'s own database and DuckDB writes
    one database per transaction, so the kept tables are written in one of
    their own after judging (a crash in between leaves kept results whose
    checksum no longer fits the data, which are then not used).
    """
    tickets, events = f"{db}.tickets", f"{db}.events"
    if fetch_one(con.execute(f"SELECT count(*) FROM {tickets} WHERE ticket_id IS NULL"))[0]:
        # Only a store filled by other means than an import can hold them; they cannot be told apart.
        raise ValueError("tickets without a ticket_id: results not kept")
    data, data_max = data_fingerprint(con, tickets, events)
    evaluate(con, policy, as_of, tickets=tickets, events=events, out="_kept_judged")
    try:
        # found once, before the transaction (which may write `db` only), for the three tables below
        con.execute("CREATE OR REPLACE TEMP TABLE _kept_running AS "
                    "SELECT DISTINCT ticket_id FROM _kept_judged WHERE stopped_at IS NULL")
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                f"CREATE OR REPLACE TABLE {db}.{KEPT_RESULTS} AS "
                f"SELECT * FROM _kept_judged WHERE ticket_id NOT IN ({_RUNNING_IDS})"
            )
            con.execute(
                f"CREATE OR REPLACE TABLE {db}.{KEPT_TICKETS} AS "
                f"SELECT * FROM {tickets} WHERE ticket_id IN ({_RUNNING_IDS})"
            )
            con.execute(
                f"CREATE OR REPLACE TABLE {db}.{KEPT_EVENTS} AS "
                f"SELECT * FROM {events} WHERE ticket_id IN ({_RUNNING_IDS})"
            )
            con.execute(
                f"""CREATE OR REPLACE TABLE {db}.{KEPT_META} (
                    judge VARCHAR, data VARCHAR, data_max TIMESTAMPTZ, as_of TIMESTAMPTZ)"""
            )
            con.execute(
                f"INSERT INTO {db}.{KEPT_META} VALUES (?, ?, ?, ?)", [judge_fingerprint(policy), data, data_max, as_of]
            )
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return int(fetch_one(con.execute("SELECT count(*) FROM _kept_judged"))[0])
    finally:
        con.execute("DROP TABLE IF EXISTS _kept_judged")
        con.execute("DROP TABLE IF EXISTS _kept_running")


def kept_usable(
    con: duckdb.DuckDBPyConnection, db: str, policy: Policy, as_of: datetime, *, tickets: str, events: str
) -> Optional[datetime]:
    """The instant `db`'s kept results were judged at, when they fit `tickets`/`events`, the policy and `as_of`."""
    found = {
        r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_catalog = ?", [db]
        ).fetchall()
    }
    if not {KEPT_RESULTS, KEPT_TICKETS, KEPT_EVENTS, KEPT_META} <= found:
        return None
    try:
        meta = con.execute(f"SELECT judge, data, data_max, as_of FROM {db}.{KEPT_META}").fetchall()
    except duckdb.BinderException:  # kept by another version of SLA Board
        return None
    if len(meta) != 1:
        return None
    kept_judge, kept_data, data_max, kept_as_of = meta[0]
    if kept_judge != judge_fingerprint(policy):
        return None
    if kept_as_of is None or kept_as_of > as_of or (data_max is not None and data_max > kept_as_of):
        return None
    if data_fingerprint(con, tickets, events)[0] != kept_data:
        return None
    return kept_as_of


def copy_kept(
    con: duckdb.DuckDBPyConnection, db: str, policy: Policy, as_of: datetime,
    *, tickets: str = "tickets", events: str = "events", out: str = "sla_results",
) -> Optional[datetime]:
    """Create `out` from `db`'s kept results when they fit, judging the tickets that had a clock running
    again at `as_of`; the instant the kept results were judged at, or None (nothing created).

    `tickets`/`events` are the copies of `db`'s data the results must fit.
    """
    kept_at = kept_usable(con, db, policy, as_of, tickets=tickets, events=events)
    if kept_at is None:
        return None
    evaluate(con, policy, as_of, tickets=f"{db}.{KEPT_TICKETS}", events=f"{db}.{KEPT_EVENTS}", out="_kept_fresh")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {out} AS SELECT * FROM {db}.{KEPT_RESULTS} UNION ALL SELECT * FROM _kept_fresh")
    finally:
        con.execute("DROP TABLE IF EXISTS _kept_fresh")
    return kept_at


def evaluate_tickets(
    con: duckdb.DuckDBPyConnection, policy: Policy, as_of: datetime, ids_sql: str,
    *, tickets: str, events: str, out: str,
) -> str:
    """Evaluate only the tickets whose ids `ids_sql` selects (and their events) into `out`."""
    some_tickets, some_events = f"{out}_tickets", f"{out}_events"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {some_tickets} AS SELECT * FROM {tickets} WHERE ticket_id IN ({ids_sql})")
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {some_events} AS
        SELECT * FROM {events} WHERE ticket_id IN (SELECT ticket_id FROM {some_tickets})"""
    )
    try:
        return evaluate(con, policy, as_of, tickets=some_tickets, events=some_events, out=out)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {some_tickets}")
        con.execute(f"DROP TABLE IF EXISTS {some_events}")


__all__ = [
    "KEPT_EVENTS",
    "KEPT_META",
    "KEPT_RESULTS",
    "KEPT_TICKETS",
    "copy_kept",
    "data_fingerprint",
    "engine_fingerprint",
    "evaluate_tickets",
    "judge_fingerprint",
    "kept_usable",
    "policy_fingerprint",
    "write_kept",
]
