"""The tickets every systemic metric starts from, written once: `tk` (the tickets with their tier and owner team
as the review shows them) and `ev` (their events known at `as_of`), with the parameters and the filters they
read, and the team and triage rules more than one metric applies.
"""

from __future__ import annotations

from typing import Any

from sla_core.analysis.filters import Filters
from sla_core.analysis.query import in_period
from sla_core.analysis.where import Where, filtered
from sla_core.policy import Policy
from sla_core.policy.teams import discipline_sql
from sla_core.sources import DataSource
from sla_core.sqlutil import quote_ident, table_columns
from sla_core.vocab import TRIAGE_FIELDS

NO_TEAM = "(no owner team)"
TRIAGE_PREFIX = "triage__"  # the ticket's own value of a required field (owner_team, say, is filled in `tk`)


def base_params(source: DataSource, filters: Filters) -> dict[str, Any]:
    """The parameters `tickets_cte` and the time expressions read (the queries take the ones they name)."""
    return {
        "tz": source.policy.timezone,
        "as_of": source.as_of,
        "period": filters.period,
        "no_team": NO_TEAM,
        **_ticket_filters(filters).params,
        **discipline_sql(source.policy, "owner_team")[1],
    }


def _ticket_filters(filters: Filters) -> Where:
    """The shared filters on the tickets `t` and their resolution clock `r` (the tier the review shows)."""
    return filtered(filters, columns={"segment": "t.segment", "owner_team": "t.owner_team",
                                      "discipline": "r.discipline", "tier": "r.tier"})


def required_fields(source: DataSource) -> list[str]:
    """Every triage field the policy requires of any tier (any column), the sample's four first."""
    named = [f for fields in source.policy.triage_required.values() for f in fields]
    return list(dict.fromkeys([*TRIAGE_FIELDS, *named]))


def _triage_columns(source: DataSource) -> list[str]:
    """`t.<field>` for each required triage field; a field the tickets lack reads empty (so it is missing)."""
    have = set(table_columns(source.con.cursor(), "tickets"))
    return [f"{f't.{quote_ident(f)}' if f in have else 'CAST(NULL AS VARCHAR)'} AS {quote_ident(TRIAGE_PREFIX + f)}"
            for f in required_fields(source)]


def tickets_cte(source: DataSource, filters: Filters, scope: str = "TRUE") -> str:
    """`tk`: the tickets created by `as_of`, with their tier and owner team as the review shows them; `ev`:
    their events known at `as_of`.

    `scope` is a cheap SQL condition on `t` (the tickets) that keeps at least every ticket the metric can
    count (a superset: the metric applies its exact rule later); with a period set it keeps the window
    functions over events to the month's tickets instead of the whole history.
    """
    return f"""
    tk AS (
        SELECT t.ticket_id, t.created_at, t.segment, coalesce(t.owner_team, $no_team) AS owner_team,
               r.tier, t.source, t.detected_at, t.started_at, t.acknowledged_at,
               CASE WHEN t.action_plan_at <= $as_of THEN t.action_plan_at END AS action_plan_at,
               CASE WHEN t.resolved_at <= $as_of THEN t.resolved_at END AS resolved_at,
               t.reopen_count, t.csat, t.impacted_customers, t.tags,
               {", ".join(_triage_columns(source))}
        FROM tickets t
        JOIN {quote_ident(source.results)} r ON r.ticket_id = t.ticket_id AND r.metric = 'resolution'
        WHERE {_ticket_filters(filters).sql}
          AND ({scope})
    ), ev AS (
        SELECT ticket_id, "at", field, value, seq FROM events
        WHERE "at" <= $as_of AND ticket_id IN (SELECT ticket_id FROM tk)
    )"""


def resolved_in_period() -> str:
    """A `tickets_cte` scope: tickets finally resolved in the period."""
    return f"t.resolved_at <= $as_of AND {in_period('t.resolved_at')}"


def is_engineering(policy: Policy, team: str) -> str:
    """SQL: the team expression's discipline (the policy's `disciplines`) is engineering; reads `$disc_*`."""
    return f"{discipline_sql(policy, team)[0]} = 'engineering'"


def handed_in_period(policy: Policy, *, to_engineering: bool = False) -> str:
    """A `tickets_cte` scope: tickets with a handoff (to an engineering team, if asked) in the period."""
    only = f" AND {is_engineering(policy, 'value')}" if to_engineering else ""
    return f"""t.ticket_id IN (SELECT ticket_id FROM events WHERE field = 'owner_team'{only}
                                 AND "at" <= $as_of AND {in_period('"at"')})"""
