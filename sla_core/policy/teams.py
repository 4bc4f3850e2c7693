"""Teams as the tools name them, rolled up to disciplines and routes by the policy.

Why here: "who owned the slow fixes" must read the same on every page, in the
report and in `evaluate`'s output. A ticket keeps its team's own name
(`Backend`, `L2 Network`, `V30`); the policy's `disciplines` rules (glob
patterns, case-insensitive, first match wins) say which discipline it belongs
to, and a team no rule matches reads `unassigned`. A tier's route comes from
the policy's `routes`.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Optional, Sequence

from sla_core.policy.model import Policy
from sla_core.vocab import TIERS, UNASSIGNED


def discipline_of(policy: Policy, team: Optional[str]) -> str:
    """The discipline of one team name (the SQL below does the same over a whole column)."""
    if team is not None:
        for rule in policy.disciplines:
            if any(fnmatchcase(team.lower(), pattern.lower()) for pattern in rule.teams):
                return rule.discipline
    return UNASSIGNED


def discipline_sql(policy: Policy, team: str, prefix: str = "disc") -> tuple[str, dict[str, object]]:
    """SQL: the discipline of the team expression `team` (NULL team: unassigned), and its named parameters."""
    whens: list[str] = []
    params: dict[str, object] = {f"{prefix}_none": UNASSIGNED}
    for i, rule in enumerate(policy.disciplines):
        params[f"{prefix}_{i}"] = [p.lower() for p in rule.teams]
        params[f"{prefix}_{i}_name"] = rule.discipline
        whens.append(f"WHEN list_bool_or(list_transform(${prefix}_{i}::VARCHAR[], lambda p: lower({team}) GLOB p)) "
                     f"THEN ${prefix}_{i}_name")
    if not whens:
        return f"${prefix}_none", params
    return f"(CASE WHEN {team} IS NULL THEN ${prefix}_none {' '.join(whens)} ELSE ${prefix}_none END)", params


def unassigned_teams(policy: Policy, teams: Sequence[str]) -> list[str]:
    """The teams no `disciplines` rule matches (a load report names them)."""
    return [team for team in teams if discipline_of(policy, team) == UNASSIGNED]


def route_sql(
    policy: Policy, tier: str, prefix: str = "route", field: str = "route"
) -> tuple[str, dict[str, object]]:
    """SQL: the route (or another `field` of it, such as `channel`) of the tier expression `tier` (NULL where the
    policy names none), and its parameters."""
    named = {name: getattr(route, field) for name, route in policy.routes.items() if getattr(route, field)}
    if not named:
        return "CAST(NULL AS VARCHAR)", {}
    whens = " ".join(f"WHEN ${prefix}_t{i} THEN ${prefix}_r{i}" for i in range(len(named)))
    params: dict[str, object] = {}
    for i, (name, value) in enumerate(named.items()):
        params |= {f"{prefix}_t{i}": name, f"{prefix}_r{i}": value}
    return f"(CASE {tier} {whens} END)", params


def on_call_tiers(policy: Policy) -> tuple[str, ...]:
    """The tiers whose tickets load engineering on-call: those whose route names a `join_within` window (someone
    must join live); without `routes`, critical and high."""
    if not policy.routes:
        return ("critical", "high")
    return tuple(t for t in TIERS if t in policy.routes and policy.routes[t].join_within is not None)


def on_call_words(policy: Policy) -> str:
    """The on-call tiers in words, for titles: "critical + high"."""
    return " + ".join(on_call_tiers(policy)) or "no tier"
