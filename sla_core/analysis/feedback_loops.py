"""What the feedback loops show: the critical incidents of a month and which still lack a post-incident
review, and how often a ticket's impact was assessed wrong when it came in. The records themselves (reviews,
action items, validations) and their audited writes are sla_core.feedback's; this module only reads them
beside the judged data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Union

import pandas as pd

from sla_core.analysis.filters import Filters
from sla_core.analysis.query import frame, in_period, local
from sla_core.analysis.where import FILTER_COLUMNS, filtered
from sla_core.feedback.records import reviewed_ids
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident
from sla_core.vocab import TIERS

# The shared filters on the results table `r` of a query that also reads the tickets `t`.
_ON_RESULTS = {name: f"r.{column}" for name, column in FILTER_COLUMNS.items()}


def critical_incidents(source: DataSource, filters: Filters, reviewed: Sequence[str]) -> pd.DataFrame:
    """The critical incidents created in the period (all time without one), whether each has a review.

    A ticket is a critical incident when the tier in force on its resolution
    clock is critical. Columns: ticket_id, segment, owner_team, created,
    resolved, reviewed; unreviewed ones first.
    """
    where = filtered(filters, columns=_ON_RESULTS, skip=("tier",))
    where.add("r.metric = 'resolution' AND r.tier = 'critical'").add(in_period("t.created_at"), period=filters.period)
    where.bind(tz=source.policy.timezone, as_of=source.as_of, reviewed=list(reviewed))
    return frame(
        source,
        f"""SELECT r.ticket_id, r.segment, r.owner_team, {local("t.created_at")} AS created,
                   {local("CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END")} AS resolved,
                   list_contains($reviewed::VARCHAR[], r.ticket_id) AS reviewed
            FROM {quote_ident(source.results)} r JOIN tickets t USING (ticket_id)
            WHERE {where.sql}
            ORDER BY reviewed, t.created_at DESC""",
        where.params,
    )


def incidents_without_review(source: DataSource, filters: Filters, records: Union[str, Path]) -> pd.DataFrame:
    """Critical incidents of the period that have no post-incident review yet in the `records` file."""
    listed = critical_incidents(source, filters, reviewed_ids(records))
    return listed[~listed["reviewed"]].drop(columns="reviewed").reset_index(drop=True)


def assessed_impact(source: DataSource, ticket_id: str) -> Optional[str]:
    """The tier the ticket was given when it came in (before any re-tiering), or None if unknown."""
    row = source.con.cursor().execute(
        f"SELECT initial_tier FROM {quote_ident(source.results)} WHERE ticket_id = ? AND metric = 'resolution'",
        [ticket_id],
    ).fetchone()
    return row[0] if row else None


def confusion_matrix(checked: pd.DataFrame) -> pd.DataFrame:
    """Counts of assessed (rows) x validated (columns) impact over every tier, from `validations()`."""
    matrix = (pd.crosstab(checked["assessed_impact"], checked["validated_impact"]) if not checked.empty
              else pd.DataFrame())
    matrix = matrix.reindex(index=list(TIERS), columns=list(TIERS), fill_value=0).astype(int)
    matrix.index.name, matrix.columns.name = "assessed", "validated"
    return matrix


def misclassified(checked: pd.DataFrame) -> pd.DataFrame:
    """The validated tickets whose assessed impact was wrong, with the direction of the error."""
    rank = {tier: i for i, tier in enumerate(TIERS)}
    wrong = checked[checked["misclassified"]].copy()
    wrong["error"] = [
        "over-assessed" if rank[a] < rank[v] else "under-assessed"
        for a, v in zip(wrong["assessed_impact"], wrong["validated_impact"])
    ]
    return wrong.drop(columns="misclassified").reset_index(drop=True)
