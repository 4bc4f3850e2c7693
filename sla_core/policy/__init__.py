"""The policy: the SLA contract a team writes (docs/policy.md), validated, and the playbooks it names.

`model` holds the pydantic models and the file's reading and writing;
`playbooks` which runbooks apply to a clock and what they say first.
"""

from sla_core.policy.model import (
    BUILTIN_24X7,
    Calendar,
    DisciplineRule,
    MetricTarget,
    NotifyTarget,
    PlaybookRule,
    PlaybookWhen,
    Policy,
    PolicyError,
    Route,
    Rubric,
    TierTargets,
    describe_validation_error,
    format_duration,
    load_policy,
    parse_duration,
    policy_from_dict,
    policy_to_dict,
)

__all__ = [
    "BUILTIN_24X7",
    "Calendar",
    "DisciplineRule",
    "MetricTarget",
    "NotifyTarget",
    "PlaybookRule",
    "PlaybookWhen",
    "Policy",
    "PolicyError",
    "Route",
    "Rubric",
    "TierTargets",
    "describe_validation_error",
    "format_duration",
    "load_policy",
    "parse_duration",
    "policy_from_dict",
    "policy_to_dict",
]
