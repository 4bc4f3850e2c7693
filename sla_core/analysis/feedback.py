"""Feedback loops that make SLAs improve: incident reviews, action items, severity validation, retrospectives.

Reviews, action items and validations are what people type in, so they live
in the persistent store (the DuckDB file of `sla_core.ingest.store`) in tables of
their own, created on first use. Each write opens the file, commits one
transaction and closes it again: the dashboard never holds the file, so
`python -m sla_core import` can run while it is open, and a restart finds
every record. Everything a user edits goes through a pydantic model whose
error names the field.

The quarterly retrospective reads only the engine's results: for each tier
and metric, the target the team would have met 90 % / 95 % of the time last
quarter, next to the current one, and the load it carried.
"""

from __future__ import annotations

from datetime import date, datetime, time, timezone
from pathlib import Path
from typing import Any, ContextManager, Optional, Sequence, Union

import duckdb
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.access import Actor
from sla_core.analysis.filters import Filters
from sla_core.analysis.where import FILTER_COLUMNS, Where, filtered
from sla_core.errors import UserError
from sla_core.ingest.audit import record
from sla_core.ingest.store import audited_write, store_with
from sla_core.now import now
from sla_core.periods import last_quarter, quarter_end
from sla_core.sources import DataSource
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import METRICS, TIERS, Tier

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


class FeedbackError(UserError, ValueError):
    """A record that cannot be saved; the message names the record and the field."""


# The shared filters on the results table `r` of a query that also reads the tickets `t`.
_ON_RESULTS = {name: f"r.{column}" for name, column in FILTER_COLUMNS.items()}


# --- Records a user edits ---------------------------------------------------------------------------


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _aware(value: Any) -> Any:
    """A date means its midnight (UTC); a naive time is read as UTC."""
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime.combine(value, time(0), tzinfo=timezone.utc)
    return value


class IncidentReview(_Record):
    """The post-incident review of one critical incident."""

    ticket_id: str = Field(min_length=1, max_length=128)
    summary: str = Field(min_length=1, max_length=10_000)
    reviewed_at: datetime
    reviewer: Optional[str] = Field(default=None, max_length=128)

    _when = field_validator("reviewed_at", mode="before")(classmethod(lambda cls, v: _aware(v)))


class ActionItem(_Record):
    """One follow-up of a review: who does what by when, and whether it is done."""

    id: Optional[int] = Field(default=None, ge=1)
    ticket_id: str = Field(min_length=1, max_length=128)
    description: str = Field(min_length=1, max_length=2_000)
    owner: str = Field(min_length=1, max_length=128)
    deadline: date
    done: bool = False

    @field_validator("deadline", mode="before")
    @classmethod
    def _day(cls, value: Any) -> Any:
        if isinstance(value, (pd.Timestamp, datetime)):
            return value.date()
        return value

    @field_validator("done", mode="before")
    @classmethod
    def _unticked(cls, value: Any) -> Any:
        """A new editor row's unticked box arrives as None."""
        return False if value is None or (isinstance(value, float) and pd.isna(value)) else value

    @field_validator("id", mode="before")
    @classmethod
    def _blank_id(cls, value: Any) -> Any:
        """A row the data editor just added has no id yet (None / NaN)."""
        return None if value is None or (isinstance(value, float) and pd.isna(value)) else value


class SeverityValidation(_Record):
    """A customer follow-up's validated impact next to the one assessed when the ticket came in."""

    ticket_id: str = Field(min_length=1, max_length=128)
    assessed_impact: Tier
    validated_impact: Tier
    validated_at: datetime
    note: Optional[str] = Field(default=None, max_length=2_000)

    _when = field_validator("validated_at", mode="before")(classmethod(lambda cls, v: _aware(v)))


OPTIONAL_TEXT = ("reviewer", "note")


def _problem(err: ValidationError, what: str) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "record"
    got = first.get("input")
    shown = "" if isinstance(got, dict) else f" (got {repr(got)[:60]})"
    return f"{what}, {field}: {first['msg'].removeprefix('Value error, ')}{shown}"


def _cleaned(key: str, value: Any) -> Any:
    """An editor's empty cell (NaN), or a blank optional text, means no value."""
    if isinstance(value, float) and pd.isna(value):
        return None
    if key in OPTIONAL_TEXT and isinstance(value, str) and not value.strip():
        return None
    return value


def validated(model: type[BaseModel], data: dict[str, Any], what: str) -> Any:
    """`model(**data)`, or a FeedbackError naming `what` (e.g. 'action item row 3') and the field."""
    try:
        return model.model_validate({key: _cleaned(key, value) for key, value in data.items()})
    except ValidationError as err:
        raise FeedbackError(_problem(err, what)) from None


def action_items_from_rows(ticket_id: str, rows: Sequence[dict[str, Any]]) -> list[ActionItem]:
    """The data editor's rows as action items of one review; the first bad row raises, naming row and field."""
    items = []
    for number, row in enumerate(rows, start=1):
        items.append(validated(ActionItem, {**row, "ticket_id": ticket_id}, f"action item row {number}"))
    return items


# --- The store's feedback tables --------------------------------------------------------------------


def feedback_store(path: PathLike) -> ContextManager[duckdb.DuckDBPyConnection]:
    """The store file, opened for one unit of work with the feedback tables present, then closed."""
    return store_with(path, FEEDBACK_DDL)


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    return con.cursor().execute(sql, list(params)).df()


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
        return _df(
            con,
            """SELECT r.ticket_id, r.summary, r.reviewed_at, r.reviewer,
                      count(a.id) AS action_items, count(a.id) FILTER (WHERE NOT a.done) AS open_items
               FROM incident_reviews r LEFT JOIN action_items a USING (ticket_id)
               GROUP BY ALL ORDER BY r.reviewed_at DESC, r.ticket_id""",
        )


def reviewed_ids(path: PathLike) -> list[str]:
    with feedback_store(path) as con:
        return [r[0] for r in con.execute("SELECT ticket_id FROM incident_reviews ORDER BY 1").fetchall()]


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
        frame = _df(
            con,
            """SELECT id, ticket_id, description, owner, deadline, done, NOT done AND deadline < ? AS overdue
               FROM action_items
               WHERE (?::VARCHAR IS NULL OR ticket_id = ?) AND (NOT ? OR NOT done)
               ORDER BY deadline, id""",
            [today, ticket_id, ticket_id, open_only],
        )
    frame["deadline"] = pd.to_datetime(frame["deadline"]).dt.date  # a day, not a midnight
    return frame


def overdue_action_items(path: PathLike, today: Optional[date] = None) -> pd.DataFrame:
    """Open action items whose deadline has passed (before `today`)."""
    frame = action_items(path, open_only=True, today=today)
    return frame[frame["overdue"]].reset_index(drop=True)


def critical_incidents(src: DataSource, filters: Filters, reviewed: Sequence[str]) -> pd.DataFrame:
    """The critical incidents created in the period (all time without one), whether each has a review.

    A ticket is a critical incident when the tier in force on its resolution
    clock is critical. Columns: ticket_id, segment, owner_team, created,
    resolved, reviewed; unreviewed ones first.
    """
    where = filtered(filters, columns=_ON_RESULTS, skip=("tier",)).add("r.metric = 'resolution' AND r.tier = 'critical'")
    if filters.period is not None:
        where.add("CAST(date_trunc('month', timezone($tz, t.created_at)) AS DATE) = $month", month=filters.period)
    where.bind(tz=src.policy.timezone, as_of=src.as_of, reviewed=list(reviewed))
    return src.con.cursor().execute(
        f"""SELECT r.ticket_id, r.segment, r.owner_team, timezone($tz, t.created_at) AS created,
                   timezone($tz, CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END) AS resolved,
                   list_contains($reviewed::VARCHAR[], r.ticket_id) AS reviewed
            FROM {quote_ident(src.results)} r JOIN tickets t USING (ticket_id)
            WHERE {where.sql}
            ORDER BY reviewed, t.created_at DESC""",
        where.params,
    ).df()


def incidents_without_review(src: DataSource, filters: Filters, path: PathLike) -> pd.DataFrame:
    """Critical incidents of the period that have no post-incident review yet."""
    frame = critical_incidents(src, filters, reviewed_ids(path))
    return frame[~frame["reviewed"]].drop(columns="reviewed").reset_index(drop=True)


# --- Severity validation -----------------------------------------------------------------------------


def assessed_impact(src: DataSource, ticket_id: str) -> Optional[str]:
    """The tier the ticket was given when it came in (before any re-tiering), or None if unknown."""
    row = src.con.cursor().execute(
        f"SELECT initial_tier FROM {quote_ident(src.results)} WHERE ticket_id = ? AND metric = 'resolution'",
        [ticket_id],
    ).fetchone()
    return row[0] if row else None


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
        return _df(
            con,
            """SELECT ticket_id, assessed_impact, validated_impact, validated_at, note,
                      assessed_impact <> validated_impact AS misclassified
               FROM severity_validations ORDER BY validated_at DESC, ticket_id""",
        )


def confusion_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts of assessed (rows) x validated (columns) impact over every tier, from `validations()`."""
    matrix = pd.crosstab(frame["assessed_impact"], frame["validated_impact"]) if not frame.empty else pd.DataFrame()
    matrix = matrix.reindex(index=list(TIERS), columns=list(TIERS), fill_value=0).astype(int)
    matrix.index.name, matrix.columns.name = "assessed", "validated"
    return matrix


def misclassified(frame: pd.DataFrame) -> pd.DataFrame:
    """The validated tickets whose assessed impact was wrong, with the direction of the error."""
    rank = {tier: i for i, tier in enumerate(TIERS)}
    wrong = frame[frame["misclassified"]].copy()
    wrong["error"] = [
        "over-assessed" if rank[a] < rank[v] else "under-assessed"
        for a, v in zip(wrong["assessed_impact"], wrong["validated_impact"])
    ]
    return wrong.drop(columns="misclassified").reset_index(drop=True)


# --- Quarterly retrospective ------------------------------------------------------------------------


def _quarter_params(src: DataSource, quarter: Optional[date]) -> tuple[date, date]:
    start = quarter or last_quarter(src.as_of, src.policy.timezone)
    if start.day != 1 or start.month not in (1, 4, 7, 10):
        raise ValueError(f"quarter {start}: give the first day of a quarter (e.g. {start.year}-07-01)")
    return start, quarter_end(start)


def _in_quarter(src: DataSource, filters: Filters, quarter: Optional[date], instant: str) -> Where:
    """The shared filters and `instant` (a results column) in the quarter, local dates of the policy timezone."""
    start, end = _quarter_params(src, quarter)
    return filtered(filters).add(
        f"CAST(timezone($tz, {instant}) AS DATE) >= $start AND CAST(timezone($tz, {instant}) AS DATE) < $end",
        tz=src.policy.timezone, start=start, end=end,
    )


def retrospective(src: DataSource, filters: Filters, quarter: Optional[date] = None) -> pd.DataFrame:
    """Per tier, metric and current target: what target the quarter's stopped clocks would have met.

    Clocks that stopped in the quarter (policy timezone), untimed ones too.
    Columns: tier, metric, calendar, segments, target_hours (current; NaN =
    untimed), clocks, met_share (share with elapsed <= current target),
    p90_hours, p95_hours (elapsed time met 90 % / 95 % of the time, in the
    metric's calendar), p90_vs_target (p90 / target: below 1 means the target
    has slack, above 1 means it was missed more than 10 % of the time).
    """
    where = _in_quarter(src, filters, quarter, "stopped_at").add("stopped_at IS NOT NULL")
    where.bind(tiers=list(TIERS), metrics=list(METRICS))
    return src.con.cursor().execute(
        f"""WITH c AS (
            SELECT tier, metric, calendar, target_seconds, segment, elapsed_seconds
            FROM {quote_ident(src.results)}
            WHERE {where.sql}
        )
        SELECT tier, metric, calendar,
               string_agg(DISTINCT coalesce(segment, '(none)'), ', ' ORDER BY coalesce(segment, '(none)')) AS segments,
               target_seconds / 3600.0 AS target_hours, count(*) AS clocks,
               avg(CASE WHEN target_seconds IS NOT NULL THEN (elapsed_seconds <= target_seconds)::INT END) AS met_share,
               quantile_cont(elapsed_seconds, 0.90) / 3600.0 AS p90_hours,
               quantile_cont(elapsed_seconds, 0.95) / 3600.0 AS p95_hours,
               quantile_cont(elapsed_seconds, 0.90) / nullif(target_seconds, 0) AS p90_vs_target
        FROM c GROUP BY tier, metric, calendar, target_seconds
        ORDER BY list_position($tiers, tier), list_position($metrics, metric), target_seconds""",
        where.params,
    ).df()


def capacity(src: DataSource, filters: Filters, quarter: Optional[date] = None) -> pd.DataFrame:
    """Tickets created per week and tier in the quarter: the load the targets were met (or missed) under.

    Columns: tier, tickets, weeks, per_week, busiest_week (most tickets in one ISO week).
    """
    start, end = _quarter_params(src, quarter)
    where = _in_quarter(src, filters, quarter, "created_at").add("metric = 'resolution'")
    where.bind(weeks=(end - start).days / 7, tiers=list(TIERS))
    return src.con.cursor().execute(
        f"""WITH t AS (
            SELECT tier, date_trunc('week', timezone($tz, created_at)) AS week
            FROM {quote_ident(src.results)}
            WHERE {where.sql}
        ), w AS (SELECT tier, week, count(*) AS n FROM t GROUP BY tier, week)
        SELECT tier, sum(n)::BIGINT AS tickets, $weeks AS weeks, sum(n) / $weeks AS per_week, max(n) AS busiest_week
        FROM w GROUP BY tier ORDER BY list_position($tiers, tier)""",
        where.params,
    ).df()


__all__ = [
    "ActionItem",
    "FeedbackError",
    "IncidentReview",
    "SeverityValidation",
    "action_items",
    "action_items_from_rows",
    "assessed_impact",
    "capacity",
    "confusion_matrix",
    "critical_incidents",
    "delete_review",
    "feedback_store",
    "incidents_without_review",
    "misclassified",
    "overdue_action_items",
    "retrospective",
    "reviewed_ids",
    "reviews",
    "save_action_items",
    "save_review",
    "save_validation",
    "validated",
    "validations",
]
