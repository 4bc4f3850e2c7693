"""The simulator's inputs as one flat, named set of numbers: what the sliders hold and what a link carries.

Why flat: a product lead moves one number at a time, and a link must carry the
candidate so it can be shared and survives a reload. Each input has a stable
name - `weight.severity`, `scale.severity.outage`, `threshold.critical`,
`target.high.acknowledge` (hours of the metric's calendar; 0 = untimed) - and
the query form lists only the inputs that differ from the current policy
(`weight.severity=0.6;threshold.critical=0.8`). Unknown names and values are
refused with a message naming them, never applied.
"""

from __future__ import annotations

from typing import Mapping

from sla_core.policy import Policy, format_duration
from sla_core.simulate.candidate import CandidateChanges, TargetChange
from sla_core.vocab import FACTORS, METRICS, TIERS

THRESHOLD_TIERS: tuple[str, ...] = ("critical", "high", "medium")
# The sliders' ranges, which a value from a link must respect too.
RANGES: dict[str, tuple[float, float]] = {"weight": (-1.0, 1.0), "scale": (0.0, 1.0), "threshold": (0.0, 1.5),
                                          "target": (0.0, 24.0 * 365)}


def current_inputs(policy: Policy) -> dict[str, float]:
    """Every input at the current policy's value, in the order the page draws them."""
    inputs: dict[str, float] = {}
    rubric = policy.rubric
    if rubric is not None:
        for factor in FACTORS:
            inputs[f"weight.{factor}"] = float(rubric.weights.get(factor, 0.0))
        for tier in THRESHOLD_TIERS:
            inputs[f"threshold.{tier}"] = float(rubric.thresholds[tier])  # type: ignore[index]
        for factor, scale in rubric.scales.items():
            for key, score in scale.items():
                inputs[f"scale.{factor}.{str(key).lower()}"] = float(score)
    for tier in TIERS:
        for metric in METRICS:
            seconds = policy.tiers[tier].target(metric)[1]
            inputs[f"target.{tier}.{metric}"] = (seconds or 0) / 3600
    return inputs


def changes_from_inputs(policy: Policy, inputs: Mapping[str, float]) -> CandidateChanges:
    """The policy changes the inputs stand for (every input the policy has; a missing one keeps its value)."""
    values = {**current_inputs(policy), **inputs}
    weights: dict[str, float] = {}
    scales: dict[str, dict[str, float]] = {}
    thresholds: dict[str, float] = {}
    targets: list[TargetChange] = []
    for name, value in values.items():
        kind, _, rest = name.partition(".")
        if kind == "weight":
            weights[rest] = round(value, 4)
        elif kind == "threshold":
            thresholds[rest] = round(value, 4)
        elif kind == "scale":
            factor, _, key = rest.partition(".")
            scales.setdefault(factor, {})[key] = round(value, 4)
        else:
            tier, _, metric = rest.partition(".")
            seconds = round(float(value) * 3600)
            targets.append(TargetChange(tier=tier, metric=metric, target=format_duration(seconds) if seconds else None))
    return CandidateChanges(weights=weights, scales=scales, thresholds=thresholds, targets=targets)


def inputs_to_query(policy: Policy, inputs: Mapping[str, float]) -> str:
    """`name=value;...` for the inputs that differ from the current policy ('' when none does)."""
    current = current_inputs(policy)
    return ";".join(f"{name}={inputs[name]:g}" for name in current
                    if name in inputs and abs(inputs[name] - current[name]) > 1e-9)


def inputs_from_query(policy: Policy, text: str) -> tuple[dict[str, float], list[str]]:
    """The inputs a link carries, and one message per part that was refused (unknown name, not a number,
    out of the slider's range)."""
    known = current_inputs(policy)
    inputs: dict[str, float] = {}
    problems: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, _, raw = part.partition("=")
        name = name.strip()
        if name not in known:
            problems.append(f"candidate input {name!r} ignored: not an input of this policy")
            continue
        try:
            value = float(raw)
        except ValueError:
            problems.append(f"candidate input {name}={raw!r} ignored: not a number")
            continue
        low, high = RANGES[name.partition(".")[0]]
        if not low <= value <= high:
            problems.append(f"candidate input {name}={raw} ignored: outside {low:g} to {high:g}")
            continue
        inputs[name] = value
    return inputs, problems


def input_problems(inputs: Mapping[str, float]) -> dict[str, str]:
    """What makes a candidate unusable, as one plain sentence per group of inputs (weight, scale, threshold,
    target), so the page can say it next to the inputs that caused it instead of failing as a whole."""
    problems: dict[str, str] = {}
    for name, value in inputs.items():
        kind = name.partition(".")[0]
        low, high = RANGES[kind]
        if kind not in problems and not low <= value <= high:
            what = name.partition(".")[2].replace(".", " ").replace("_", " ")
            unit = " hours" if kind == "target" else ""
            problems[kind] = f"{what} is {value:g}{unit}: it must lie between {low:g} and {high:,g}{unit}."
    tiers = [t for t in THRESHOLD_TIERS if f"threshold.{t}" in inputs]
    values = [inputs[f"threshold.{t}"] for t in tiers]
    if "threshold" not in problems and any(a < b for a, b in zip(values, values[1:])):
        now = ", ".join(f"{t} {v:g}" for t, v in zip(tiers, values))
        problems["threshold"] = (f"Thresholds must not rise from critical to high to medium (a ticket that scores "
                                 f"enough for a tier scores enough for the ones below it); now {now}.")
    return problems
