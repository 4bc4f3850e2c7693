"""The feedback loops' records in the store: post-incident reviews, their action items, severity validations.

They are what people type in, so they live in the persistent store (the DuckDB file of
`sla_core.ingest.store`) in tables of their own, created on first use. Each write opens the file, checks the
writer's role, commits one transaction with its audit row and closes the file again: the dashboard never
holds it, so `python -m sla_core import` can run while it is open, and a restart finds every record. The
records of the sample and of an upload go to their own file (`DataSource.records`), never the user's store.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import ContextManager, Optional, Sequence, Union

import duckdb
import pandas as pd

from sla_core.access import Actor
from sla_core.feedback.models import ActionItem, FeedbackError, IncidentReview, SeverityValidation
from sla_core.ingest.audit import record
from sla_core.ingest.store import audited_write, store_with
from sla_core.now import now
from sla_core.sqlutil import fetch_one

PathLike = Union[str, Path]

FEEDBACK_DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS incident_reviews (
        ticket_id VARCHAR PRIMARY KEY, summary VARCHAR NOT NULL, reviewed_at TIMESTAMPTZ NOT NULL,
        reviewer VARCHAR, saved_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS action_items (
        id BIGINT PRIMARY KEY, ticket_id VARCHAR NOT NULL, description VARCHAR NOT NULL,
        owner VARCHAR NOT NULL, deadline DATE NOT NULL, done BOOLEAN NOT NULL, saved_at TIMESTAMPTZ NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS severity_validations (
        ticket_id VARCHAR PRIMARY KEY, assessed_impact VARCHAR NOT NULL, validated_impact VARCHAR NOT NULL,
        validated_at TIMESTAMPTZ NOT NULL, note VARCHAR, saved_at TIMESTAMPTZ NOT NULL)""",
)


def feedback_store(path: PathLike) -> ContextManager[duckdb.DuckDBPyConnection]:
    """The store file, opened for one unit of work with the feedback tables present, then closed."""
    return store_with(path, FEEDBACK_DDL)


def save_review(review: IncidentReview, path: PathLike, *, actor: Actor) -> None:
    """Create or replace the review of `review.ticket_id` (editors and admins), with its audit row."""
    with audited_write(path, actor, "editor", "saving an incident review", ddl=FEEDBACK_DDL) as con:
        con.execute(
            "INSERT OR REPLACE INTO incident_reviews VALUES (?, ?, ?, ?, ?)",
            [review.ticket_id, review.summary, review.reviewed_at, review.reviewer, now()],
        )
        record(con, actor, "incident review", f"review of {review.ticket_id} saved")


def delete_review(ticket_id: str, path: PathLike, *, actor: Actor) -> None:
    """Remove a review and its action items (one transaction, with its audit row)."""
    with audited_write(path, actor, "editor", "deleting an incident review", ddl=FEEDBACK_DDL) as con:
        con.execute("DELETE FROM action_items WHERE ticket_id = ?", [ticket_id])
        con.execute("DELETE FROM incident_reviews WHERE ticket_id = ?", [ticket_id])
        record(con, actor, "incident review", f"review of {ticket_id} and its action items deleted")


def reviews(path: PathLike) -> pd.DataFrame:
    """Every review with its action-item counts. Columns: ticket_id, summary, reviewed_at, reviewer,
    action_items, open_items."""
    with feedback_store(path) as con:
        return con.execute(
            """SELECT r.ticket_id, r.summary, r.reviewed_at, r.reviewer,
                      count(a.id) AS action_items, count(a.id) FILTER (WHERE NOT a.done) AS open_items
               FROM incident_reviews r LEFT JOIN action_items a USING (ticket_id)
               GROUP BY ALL ORDER BY r.reviewed_at DESC, r.ticket_id"""
        ).df()


def reviewed_ids(path: PathLike) -> list[str]:
    """The tickets that have a review, for the figures that ask which incidents still lack one."""
    with feedback_store(path) as con:
        return reviewed_in(con)


def _has_table(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    """Whether the open file holds `table` (a store opened read-only may hold no feedback tables yet)."""
    return bool(fetch_one(con.cursor().execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND table_name = ?",
        [table]))[0])


def reviewed_in(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tickets that have a review, read from an open records file (none when it holds no reviews table)."""
    if not _has_table(con, "incident_reviews"):
        return []
    return [r[0] for r in con.cursor().execute("SELECT ticket_id FROM incident_reviews ORDER BY 1").fetchall()]


def save_action_items(ticket_id: str, items: Sequence[ActionItem], path: PathLike, *, actor: Actor) -> None:
    """Make `items` the action items of one review: kept ids are updated, new ones numbered, missing ones removed.

    The review must exist: an action item always belongs to a reviewed incident. Editors and admins only.
    """
    for item in items:
        if item.ticket_id != ticket_id:
            raise FeedbackError(
                f"action item {item.id or '(new)'}, ticket_id: belongs to {item.ticket_id}, not {ticket_id}"
            )
    with audited_write(path, actor, "editor", "saving action items", ddl=FEEDBACK_DDL) as con:
        if not fetch_one(con.execute("SELECT count(*) FROM incident_reviews WHERE ticket_id = ?", [ticket_id]))[0]:
            raise FeedbackError(f"ticket_id {ticket_id!r}: save the incident review before its action items")
        foreign = con.execute(
            "SELECT id FROM action_items WHERE ticket_id <> ? AND list_contains(?, id)",
            [ticket_id, [i.id for i in items if i.id is not None]],
        ).fetchall()
        if foreign:
            raise FeedbackError(f"action item {foreign[0][0]}, id: belongs to another incident")
        con.execute("DELETE FROM action_items WHERE ticket_id = ?", [ticket_id])
        next_id = fetch_one(con.execute("SELECT coalesce(max(id), 0) + 1 FROM action_items"))[0]
        saved_at = now()
        for item in items:
            item_id = item.id
            if item_id is None:
                item_id, next_id = next_id, next_id + 1
            con.execute(
                "INSERT INTO action_items VALUES (?, ?, ?, ?, ?, ?, ?)",
                [item_id, ticket_id, item.description, item.owner, item.deadline, item.done, saved_at],
            )
        record(con, actor, "action items", f"{len(items)} action item{'s' if len(items) != 1 else ''} of "
               f"{ticket_id} saved")


def action_items(
    path: PathLike, *, ticket_id: Optional[str] = None, open_only: bool = False,
    today: Optional[date] = None,
) -> pd.DataFrame:
    """Action items (one review's, or all), earliest deadline first, with an `overdue` flag as of `today`.

    Columns: id, ticket_id, description, owner, deadline, done, overdue.
    """
    today = today or now().date()
    with feedback_store(path) as con:
        frame = con.execute(
            """SELECT id, ticket_id, description, owner, deadline, done, NOT done AND deadline < ? AS overdue
               FROM action_items
               WHERE (?::VARCHAR IS NULL OR ticket_id = ?) AND (NOT ? OR NOT done)
               ORDER BY deadline, id""",
            [today, ticket_id, ticket_id, open_only],
        ).df()
    frame["deadline"] = pd.to_datetime(frame["deadline"]).dt.date  # a day, not a midnight
    return frame


def open_items_due(con: duckdb.DuckDBPyConnection, last_day: date, today: date) -> pd.DataFrame:
    """The open action items due on or before `last_day`, overdue ones included, by owner then deadline, read from
    an open records file (none when it holds no action items table). An item is overdue when its deadline is
    before `today`. Columns: owner, item (its number), ticket_id, description, deadline, overdue."""
    columns = ["owner", "item", "ticket_id", "description", "deadline", "overdue"]
    if not _has_table(con, "action_items"):
        return pd.DataFrame({name: pd.Series(dtype="bool" if name == "overdue" else "object") for name in columns})
    frame = con.cursor().execute(
        """SELECT owner, id AS item, ticket_id, description, deadline, deadline < ? AS overdue
           FROM action_items WHERE NOT done AND deadline <= ?
           ORDER BY owner, deadline, id""", [today, last_day]).df()
    frame["deadline"] = pd.to_datetime(frame["deadline"]).dt.date  # a day, not a midnight
    return frame[columns]


def overdue_action_items(path: PathLike, today: Optional[date] = None) -> pd.DataFrame:
    """Open action items whose deadline has passed (before `today`)."""
    frame = action_items(path, open_only=True, today=today)
    return frame[frame["overdue"]].reset_index(drop=True)


def save_validation(validation: SeverityValidation, path: PathLike, *, actor: Actor) -> None:
    """Create or replace the validation of one ticket (editors and admins), with its audit row."""
    with audited_write(path, actor, "editor", "saving a severity validation", ddl=FEEDBACK_DDL) as con:
        con.execute(
            "INSERT OR REPLACE INTO severity_validations VALUES (?, ?, ?, ?, ?, ?)",
            [validation.ticket_id, validation.assessed_impact, validation.validated_impact,
             validation.validated_at, validation.note, now()],
        )
        record(con, actor, "severity validation", f"{validation.ticket_id}: assessed {validation.assessed_impact}, "
               f"validated {validation.validated_impact}")


def validations(path: PathLike) -> pd.DataFrame:
    """Every validation. Columns: ticket_id, assessed_impact, validated_impact, validated_at, note, misclassified."""
    with feedback_store(path) as con:
        return con.execute(
            """SELECT ticket_id, assessed_impact, validated_impact, validated_at, note,
                      assessed_impact <> validated_impact AS misclassified
               FROM severity_validations ORDER BY validated_at DESC, ticket_id"""
        ).df()
