"""What this data can tell: per clock and per beyond-the-timers figure, whether the data holds what it needs.

A number the data cannot back is worse than no number, so every page that
shows a figure can say instead which column or mapping would fill it. Each
figure names the tickets it is about (its scope) and what one of them must
hold to count; the share of the scope that holds it makes the status.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, Optional

import pandas as pd

from sla_core.periods import shift_month
from sla_core.sources import DataSource
from sla_core.sqlutil import fetch_one, quote_ident
from sla_core.vocab import INCIDENT_TIERS, RUBRIC_INPUTS, UNASSIGNED

Status = Literal["present", "partly", "absent", "nothing to judge"]


@dataclass(frozen=True)
class Need:
    """One figure: which tickets it is about, what each must hold, and how a user fills what is missing."""

    figure: str
    kind: Literal["clock", "beyond the timers", "context"]
    needs: str  # the canonical columns, in words
    scope: str  # SQL over `c` (one row per ticket): the tickets the figure is about
    holds: str  # SQL over `c`: this ticket holds what the figure needs
    fill: str


@dataclass(frozen=True)
class Coverage:
    figure: str
    kind: str
    needs: str
    status: Status
    tickets: int  # in scope
    holding: int
    fill: str

    @property
    def share(self) -> Optional[float]:
        return self.holding / self.tickets if self.tickets else None


def _measured(metric: str) -> str:
    return f"NOT list_contains(string_split(coalesce(c.unmeasured, ''), ','), '{metric}')"


def _present(*columns: str, alias: str = "c") -> str:
    return " AND ".join(f"nullif(trim(CAST({alias}.{quote_ident(col)} AS VARCHAR)), '') IS NOT NULL" for col in columns)


INCIDENTS = "list_contains($incident_tiers::VARCHAR[], c.tier)"
# A ticket someone has worked on has a history to load; one untouched since it came in has none yet.
WORKED = "(c.acknowledged_at IS NOT NULL OR c.resolved_at IS NOT NULL)"

NEEDS: tuple[Need, ...] = (
    Need("Acknowledge clock", "clock", "acknowledged_at", "TRUE", _measured("acknowledge"),
         "Map the export's first-response (or first agent reply) time to `acknowledged_at`; until then the clock "
         "is not measured (untimed), never breached."),
    Need("Action plan clock", "clock", "action_plan_at", "TRUE", _measured("action_plan"),
         "Map the time a plan or workaround was posted to `action_plan_at`, or an activity of the event log to "
         "`action_plan`."),
    Need("Resolution clock", "clock", "resolved_at", "TRUE", _measured("resolution"),
         "Map the resolved (or solved) time to `resolved_at`."),
    Need("Pauses (waiting on the customer or a vendor)", "clock", "status history (events)", WORKED,
         "c.status_events > 0",
         "Load the status history (an events file, or an audit-log export with `format: events`); without it "
         "every clock also runs while the ticket waits on the customer."),
    Need("Who owned the fix (team)", "beyond the timers", "owner_team", "TRUE", _present("owner_team"),
         "Map the assignee group or team column to `owner_team` (any names; the policy's `disciplines` roll "
         "them up)."),
    Need("Who owned the fix (discipline)", "beyond the timers", "owner_team + policy disciplines",
         _present("owner_team"), f"c.discipline IS DISTINCT FROM '{UNASSIGNED}'",
         "Add the load report's unassigned team names to the policy's `disciplines` (globs such as `backend*`)."),
    Need("Handoffs and time with each owner", "beyond the timers", "owner_team history (events)", WORKED,
         "c.any_events > 0 AND $owner_history",
         "Load owner changes as events (`field: owner_team`), e.g. an audit log with the assignment group; a "
         "tickets-only export holds only the last owner."),
    Need("Reopen rate", "beyond the timers", "reopen_count or status history", "c.resolved_at IS NOT NULL",
         f"({_present('reopen_count')} OR c.status_events > 0)",
         "Map the reopen counter to `reopen_count`, or load the status history so a resolution followed by "
         "another status counts as a reopen."),
    Need("Time to detect", "beyond the timers", "a start time: started_at, or signals that know it", INCIDENTS,
         f"({_present('started_at')} OR c.signal_started)",
         "Import your monitoring tool's incidents (`python -m sla_core import FILE --source "
         "pagerduty|opsgenie|sentry|datadog`, or a mapping with `format: signals`) and quote the incident in the "
         "tickets' `incident_ref`; or map when the problem began to `started_at` and the channel to `source`."),
    Need("Deploys before incidents", "beyond the timers", "deploys, and signals naming the incident's service",
         INCIDENTS, "$has_deploys AND c.signal_service",
         "Import your deploys (`deploy_id, service, deployed_at, version, tool`: a plain CSV or JSON with those "
         "columns, `python -m sla_core import deploys.csv [--tool github]`, or a mapping with `format: deploys`), "
         "and the monitoring signals that name each incident's `service`, quoted in the tickets' `incident_ref`; "
         "an incident whose signals name no service cannot be matched to a deploy."),
    Need("CSAT after incidents (ratings)", "beyond the timers", "csat", "c.resolved_at IS NOT NULL",
         _present("csat"),
         "Map the satisfaction score (1 to 5) to `csat`; a good/bad rating maps with `values: {csat: {good: 5, "
         "bad: 1}}`."),
    Need("CSAT after incidents (customers hit)", "beyond the timers", "impacted_customers or customer", INCIDENTS,
         "c.has_customer",
         "Map the affected organisations to `impacted_customers` (names separated by `;`) or keep a `customer` "
         "column."),
    Need("NPS and CSAT of incident cohorts", "beyond the timers", "account on tickets and survey answers",
         "c.tier = 'critical'", f"{_present('account')} AND $has_surveys",
         "Map the customer organisation to `account`, and import survey answers (`account, at, kind, score` with "
         "kind csat or nps: a plain CSV with those columns, or a mapping with `format: surveys`)."),
    Need("Rubric inputs (simulator)", "context", ", ".join(RUBRIC_INPUTS), "TRUE",
         "(" + " OR ".join(_present(f) for f in RUBRIC_INPUTS) + ")",
         "Map custom fields to `customers_affected`, `severity`, `regulatory`, `workaround` so the simulator "
         "can tier tickets by the rubric."),
    Need("Segment (targets per segment)", "context", "segment", "TRUE", _present("segment"),
         "Map the plan or organisation tier to `segment` (enterprise, self_serve, ...)."),
)


def _triage_need(src: DataSource, columns: set[str]) -> Optional[Need]:
    """Triage fields, when the policy requires some: every required field present on the tickets of its tier."""
    required = {tier: fields for tier, fields in src.policy.triage_required.items() if fields}
    if not required:
        return None
    per_tier = []
    for tier, fields in required.items():
        held = " AND ".join(_present(f) if f in columns else "FALSE" for f in fields)
        per_tier.append(f"(c.tier = '{tier}' AND {held})")
    names = sorted({f for fields in required.values() for f in fields})
    return Need(
        "Triage fields", "beyond the timers", ", ".join(names),
        "list_contains($triage_tiers::VARCHAR[], c.tier)", "(" + " OR ".join(per_tier) + ")",
        "Map the custom fields holding " + ", ".join(f"`{n}`" for n in names) + " for the tiers that require them.",
    )


PRESENT_FROM = 0.99  # a ticket or two created a minute ago, with no history yet, does not make a figure partial


def _status(tickets: int, holding: int) -> Status:
    if tickets == 0:
        return "nothing to judge"
    if holding == 0:
        return "absent"
    return "present" if holding >= PRESENT_FROM * tickets else "partly"


def coverage(src: DataSource, month: Optional[date] = None) -> list[Coverage]:
    """Every figure's coverage over the tickets created in `month` (policy timezone), or all tickets."""
    con = src.con.cursor()
    columns = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'tickets'").fetchall()}
    needs = list(NEEDS)
    triage = _triage_need(src, columns)
    triage_tiers: dict[str, object] = {}
    if triage is not None:  # DuckDB refuses a parameter the SQL does not name: only with the need that reads it
        needs.append(triage)
        triage_tiers["triage_tiers"] = [t for t, f in src.policy.triage_required.items() if f]
    customer = "OR " + _present("customer", alias="t") if "customer" in columns else ""
    owner_history = fetch_one(con.execute("SELECT count(*) > 0 FROM events WHERE field = 'owner_team'"))[0]
    has_surveys = fetch_one(con.execute("SELECT count(*) > 0 FROM surveys"))[0]
    has_deploys = fetch_one(con.execute("SELECT count(*) > 0 FROM deploys"))[0]
    params: dict[str, object] = {
        "owner_history": bool(owner_history),
        "has_surveys": bool(has_surveys),
        "has_deploys": bool(has_deploys),
        "incident_tiers": list(INCIDENT_TIERS),
        "tz": src.policy.timezone,
        "start": month,
        "end": shift_month(month, 1) if month else None,
        **triage_tiers,
    }
    in_scope = "WHERE ticket_id IN (SELECT ticket_id FROM scope)" if month else ""
    counts = ", ".join(
        f"count(*) FILTER (WHERE {need.scope}), count(*) FILTER (WHERE {need.scope} AND {need.holds})"
        for need in needs
    )
    row = fetch_one(con.execute(
        f"""WITH scope AS (
                SELECT * FROM tickets
                WHERE $start IS NULL OR (created_at >= timezone($tz, CAST($start AS DATE)::TIMESTAMP)
                                         AND created_at < timezone($tz, CAST($end AS DATE)::TIMESTAMP))
            ), ev AS (  -- only the tickets in scope: a month's are a twelfth of the events to group (0.7 s at 1M)
                SELECT ticket_id, count(*) FILTER (WHERE field = 'status') AS status_events,
                       count(*) AS any_events
                FROM events {in_scope} GROUP BY ticket_id
            ), judged AS (
                SELECT ticket_id, any_value(tier) AS tier, any_value(discipline) AS discipline
                FROM {quote_ident(src.results)} {in_scope} GROUP BY ticket_id
            ), sk AS (  -- what a signal names: its id, its incident, its ticket (incidents.py links on these)
                SELECT k, bool_or(started_at IS NOT NULL) AS started, bool_or(service IS NOT NULL) AS serviced
                FROM (SELECT unnest([signal_id, incident_ref, ticket_id]) AS k, started_at, service FROM signals)
                WHERE k IS NOT NULL GROUP BY k
            ), c AS (
                SELECT t.*, j.tier, j.discipline, coalesce(ev.status_events, 0) AS status_events,
                       coalesce(ev.any_events, 0) AS any_events,
                       ({_present("impacted_customers", alias="t")} {customer}) AS has_customer,
                       coalesce(s1.started, false) OR coalesce(s2.started, false) AS signal_started,
                       coalesce(s1.serviced, false) OR coalesce(s2.serviced, false) AS signal_service
                FROM scope t
                LEFT JOIN judged j USING (ticket_id) LEFT JOIN ev USING (ticket_id)
                LEFT JOIN sk s1 ON s1.k = t.incident_ref LEFT JOIN sk s2 ON s2.k = t.ticket_id
            )
            SELECT {counts} FROM c""",
        params,
    ))
    out = []
    for n, need in enumerate(needs):
        tickets, holding = int(row[2 * n]), int(row[2 * n + 1])
        out.append(Coverage(need.figure, need.kind, need.needs, _status(tickets, holding), tickets, holding, need.fill))
    return out


def coverage_frame(found: list[Coverage]) -> pd.DataFrame:
    """The panel's table: one row per figure, share as a fraction (None where nothing is in scope)."""
    return pd.DataFrame(
        [{"figure": c.figure, "status": c.status, "share": c.share, "tickets": c.tickets, "needs": c.needs,
          "to fill it": "" if c.status == "present" else c.fill} for c in found],
        columns=["figure", "status", "share", "tickets", "needs", "to fill it"],
    )


def missing(found: list[Coverage], figure: str) -> Optional[Coverage]:
    """The figure's coverage when the data lacks it entirely (pages say why a figure is empty), else None."""
    for c in found:
        if c.figure == figure and c.status == "absent":
            return c
    return None
