"""The words of SLA Board, once: tiers, metrics, states, statuses, severities, rubric factors, default paths.

Why one place: the policy's types, the loader's checks, the engine's codes
and the pages' labels must spell a tier the same way. Each vocabulary is a
`Literal` (what pydantic and mypy check) and the tuple derived from it (what
SQL and loops use), so the two cannot drift apart. The engine's integer codes
are indexes into these tuples: their order is part of the contract.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

Tier = Literal["critical", "high", "medium", "low"]  # most urgent first
Metric = Literal["acknowledge", "action_plan", "resolution"]
# A clock's state at `as_of` (docs/design.md "SLA semantics").
State = Literal["met", "breached", "paused", "at_risk", "running", "untimed"]
Status = Literal["new", "open", "waiting_on_customer", "waiting_on_third_party", "resolved", "closed"]
Severity = Literal["data_loss", "security", "outage", "blocked", "partial", "cosmetic", "question"]
Factor = Literal["customers_affected", "segment", "severity", "regulatory", "workaround"]
FirstSeenBy = Literal["customer", "monitoring"]  # how a problem was first seen (the `source` column)
EventField = Literal["status", "impact", "owner_team"]

TIERS: tuple[Tier, ...] = get_args(Tier)
METRICS: tuple[Metric, ...] = get_args(Metric)
STATES: tuple[State, ...] = get_args(State)
STATUSES: tuple[Status, ...] = get_args(Status)
SEVERITIES: tuple[Severity, ...] = get_args(Severity)
FACTORS: tuple[Factor, ...] = get_args(Factor)
FIRST_SEEN_BY: tuple[FirstSeenBy, ...] = get_args(FirstSeenBy)
EVENT_FIELDS: tuple[EventField, ...] = get_args(EventField)
# The rubric inputs a ticket carries (segment alone does not make a ticket scoreable).
RUBRIC_INPUTS: tuple[Factor, ...] = tuple(f for f in FACTORS if f != "segment")
# The triage fields of a handoff that the bundled sample fills (the policy may require any column).
TRIAGE_FIELDS: tuple[str, ...] = ("repro_steps", "environment", "logs", "impacted_customers")
# The disciplines the sample's teams belong to: who owned the fix.
DISCIPLINES: tuple[str, ...] = ("support", "product", "engineering")
UNASSIGNED = "unassigned"  # a team no `disciplines` rule matches
# The tiers whose tickets count as incidents (time to detect, customers hit by an incident).
INCIDENT_TIERS: tuple[Tier, ...] = ("critical", "high")

# The export formats `import --source` and the Upload page know (presets in ingest/presets/).
EXPORT_FORMATS: tuple[str, ...] = ("plain", "zendesk", "jira", "freshdesk", "servicenow", "intercom", "eventlog")
# The monitoring and incident tools whose exports `import --source` reads as signals (presets of format: signals).
SIGNAL_TOOLS: tuple[str, ...] = ("pagerduty", "opsgenie", "sentry", "datadog")

# Where things are when nobody says otherwise.
ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"
DEFAULT_POLICY = SAMPLE_DIR / "policy.yaml"
DEFAULT_STORE = "sla_board.duckdb"  # in the working directory, unless SLA_BOARD_DB names another
