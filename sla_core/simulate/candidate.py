"""Candidate policies: what a product lead changed, applied to the current policy, and what it can move.

A candidate is always a whole, validated Policy (so it can be saved and
checked with `python -m sla_core evaluate --policy`); `CandidateChanges` is
the user input at the boundary, in the policy file's own terms.
"""

from __future__ import annotations

import difflib
from typing import Any, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sla_core.policy import (
    Policy,
    PolicyError,
    describe_validation_error,
    format_duration,
    parse_duration,
    policy_from_dict,
    policy_to_dict,
)
from sla_core.vocab import METRICS, TIERS

# Policy keys that change how every clock runs, whatever the tier.
CLOCK_KEYS: tuple[str, ...] = ("timezone", "at_risk_ratio", "calendars", "pauses", "on_tier_change", "on_reopen")


# ---------------------------------------------------------------- what a candidate can change


def changed_targets(current: Policy, candidate: Policy) -> set[tuple[str, str, str]]:
    """(segment, tier, metric) whose calendar or target differs; segment '' = no override."""
    segments = [None, *sorted(set(current.segments) | set(candidate.segments))]
    return {
        (segment or "", tier, metric)
        for segment in segments
        for tier in TIERS
        for metric in METRICS
        if current.targets_for(tier, segment).target(metric) != candidate.targets_for(tier, segment).target(metric)
    }


def target_pairs(changed: set[tuple[str, str, str]]) -> list[str]:
    """`segment|tier` pairs of `changed_targets` (the tickets whose targets may move)."""
    return sorted({f"{segment}|{tier}" for segment, tier, _ in changed})


def target_metrics(changed: set[tuple[str, str, str]]) -> list[str]:
    """Metrics of `changed_targets`, in METRICS order (the clocks that may move when tiers do not)."""
    moved = {metric for _, _, metric in changed}
    return [metric for metric in METRICS if metric in moved]


def clock_settings_changed(current: Policy, candidate: Policy) -> bool:
    """Whether anything besides the rubric and the targets differs in how clocks run."""
    a, b = policy_to_dict(current), policy_to_dict(candidate)
    return any(a.get(k) != b.get(k) for k in CLOCK_KEYS)


# ---------------------------------------------------------------- targets sanity


def targets_warnings(policy: Policy) -> list[str]:
    """A less strict tier with a shorter target than a stricter tier, per metric (and segment override).

    Untimed metrics are not compared (untimed is the most lenient); a
    comparison across calendars says so, since business and 24x7 hours differ.
    """
    warnings: list[str] = []
    for segment in [None, *policy.segments]:
        where = f" for segment {segment}" if segment else ""
        for metric in METRICS:
            timed = [(tier, *policy.targets_for(tier, segment).target(metric)) for tier in TIERS]
            for i, (strict, cal_s, target_s) in enumerate(timed):
                for lenient, cal_l, target_l in timed[i + 1:]:
                    if target_s is None or target_l is None or target_l >= target_s:
                        continue
                    note = "" if cal_s == cal_l else f" ({cal_l} vs {cal_s} calendar)"
                    warnings.append(
                        f"{metric}{where}: {lenient} target {format_duration(target_l)} is shorter than "
                        f"{strict}'s {format_duration(target_s)}{note}; a less urgent tier would be answered sooner"
                    )
    return warnings


# ---------------------------------------------------------------- building candidates


class TargetChange(BaseModel):
    """One tier x metric target; `target` None = untimed; `segment` None = the tier's own target."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    tier: str
    metric: str
    target: Optional[str]
    segment: Optional[str] = None

    @field_validator("target", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Optional[str]:
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return format_duration(int(value))
        parse_duration(value)
        return str(value).strip()


class CandidateChanges(BaseModel):
    """What a user changed, in the policy file's terms; validated again as a whole Policy when applied."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    weights: dict[str, float] = Field(default_factory=dict)
    scales: dict[str, dict[str, float]] = Field(default_factory=dict)  # factor -> scale key as text -> score
    thresholds: dict[str, float] = Field(default_factory=dict)
    targets: list[TargetChange] = Field(default_factory=list)


def _scale_key(factor: str, key: str, existing: dict[Any, float]) -> Any:
    """The scale key as the policy spells it (1000, true, enterprise) for the text a widget carries."""
    for known in existing:
        if str(known).lower() == str(key).lower():
            return known
    if factor == "customers_affected":
        try:
            return int(key)
        except ValueError:
            raise PolicyError(f"policy: rubric.scales.customers_affected.{key}: keys are counts (integers >= 0)") from None
    if factor in ("regulatory", "workaround"):
        if str(key).lower() in ("true", "false"):
            return str(key).lower() == "true"
    return key


def apply_changes(policy: Policy, changes: Union[CandidateChanges, dict[str, Any]]) -> Policy:
    """A new validated Policy: `policy` with the changes; a change that makes it invalid raises PolicyError."""
    if not isinstance(changes, CandidateChanges):
        try:
            changes = CandidateChanges.model_validate(changes)
        except ValidationError as err:
            raise PolicyError(f"candidate: {describe_validation_error(err)}") from None
    data = policy_to_dict(policy)
    if changes.weights or changes.scales or changes.thresholds:
        if "rubric" not in data:
            raise PolicyError("policy: rubric: the current policy has no rubric to change")
        rubric = data["rubric"]
        rubric["weights"].update(changes.weights)
        for factor, scale in changes.scales.items():
            existing = rubric["scales"].setdefault(factor, {})
            for key, score in scale.items():
                existing[_scale_key(factor, key, existing)] = score
        rubric["thresholds"].update(changes.thresholds)
    for change in changes.targets:
        if change.segment:
            spot = data["segments"].setdefault(change.segment, {}).setdefault(change.tier, {})
        else:
            if change.tier not in data["tiers"]:
                raise PolicyError(f"policy: tiers.{change.tier}: unknown tier (one of {', '.join(TIERS)})")
            spot = data["tiers"][change.tier]
        if change.metric not in METRICS:
            raise PolicyError(f"policy: {change.tier}.{change.metric}: unknown metric (one of {', '.join(METRICS)})")
        old = spot.get(change.metric)
        if isinstance(old, dict) and change.target is not None:
            spot[change.metric] = {**old, "target": change.target}  # keep the metric's own calendar
        else:
            spot[change.metric] = change.target
    return policy_from_dict(data, base_dir=policy.base_dir)


def with_weights(policy: Policy, **weights: float) -> Policy:
    return apply_changes(policy, CandidateChanges(weights=weights))


def with_thresholds(policy: Policy, **thresholds: float) -> Policy:
    return apply_changes(policy, CandidateChanges(thresholds=thresholds))


def with_scale(policy: Policy, factor: str, key: Any, score: float) -> Policy:
    return apply_changes(policy, CandidateChanges(scales={factor: {str(key): score}}))


def with_target(policy: Policy, tier: str, metric: str, target: Optional[str], segment: Optional[str] = None) -> Policy:
    return apply_changes(policy, CandidateChanges(targets=[TargetChange(tier=tier, metric=metric, target=target,
                                                                        segment=segment)]))


def policy_diff(current: Union[Policy, str], candidate: Union[Policy, str], *, current_name: str = "current.yaml",
                candidate_name: str = "candidate.yaml") -> str:
    """Unified diff of two policies' YAML files (a Policy or its YAML text; '' when equal)."""
    texts = [p.to_yaml() if isinstance(p, Policy) else p for p in (current, candidate)]
    return "".join(difflib.unified_diff(
        texts[0].splitlines(keepends=True), texts[1].splitlines(keepends=True),
        fromfile=current_name, tofile=candidate_name,
    ))
