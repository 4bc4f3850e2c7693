"""The policy file: pydantic models, loading and the one-line error messages.

The policy is a public, versioned file (docs/design.md). Every key it may hold is
declared here, extra keys are refused, and every refusal names the key path.
"""

from __future__ import annotations

import re
from datetime import date, time
from pathlib import Path
from typing import Any, Literal, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sla_core.errors import UserError
from sla_core.vocab import DISCIPLINES, METRICS, SEVERITIES, TIERS, Factor, Metric, Severity, State, Status, Tier
from sla_core.yamlfile import read_yaml

BUILTIN_24X7 = "24x7"
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*$")
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")



class PolicyError(UserError, ValueError):
    """A policy that cannot be used; the message names the key and the problem."""


def parse_duration(text: Union[str, int, float]) -> int:
    """`90s`, `30m`, `2h`, `14d`, `1w` -> whole seconds (`d` = 24 open hours)."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise ValueError(f"bad duration {text!r}: use a string like 90s, 30m, 2h, 14d or 1w")
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"bad duration {text!r}: use a string like 90s, 30m, 2h, 14d or 1w")
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"bad duration {text!r}: a target must be longer than zero")
    if seconds != int(seconds):
        raise ValueError(f"bad duration {text!r}: targets are counted in whole seconds")
    return int(seconds)


def format_duration(seconds: int) -> str:
    """Inverse of parse_duration, choosing the largest exact unit."""
    for unit in ("w", "d", "h", "m"):
        if seconds % _UNITS[unit] == 0:
            return f"{seconds // _UNITS[unit]}{unit}"
    return f"{seconds}s"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenInterval(_Strict):
    """One local wall-clock opening, `09:00-18:00`; `24:00` may end a day."""

    start: time
    end_seconds: int  # seconds after local midnight, up to 86400

    @property
    def start_seconds(self) -> int:
        return self.start.hour * 3600 + self.start.minute * 60

    @classmethod
    def parse(cls, text: str) -> "OpenInterval":
        match = _INTERVAL.match(text) if isinstance(text, str) else None
        if not match:
            raise ValueError(f"bad interval {text!r}: use HH:MM-HH:MM, e.g. 09:00-18:00")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or m2 > 59 or h2 > 24 or (h2 == 24 and m2 != 0):
            raise ValueError(f"bad interval {text!r}: not a time of day")
        start_s, end_s = h1 * 3600 + m1 * 60, h2 * 3600 + m2 * 60
        if end_s <= start_s:
            raise ValueError(f"bad interval {text!r}: must end after it starts")
        return cls(start=time(h1, m1), end_seconds=end_s)

    def __str__(self) -> str:
        h, m = divmod(self.end_seconds // 60, 60)
        return f"{self.start:%H:%M}-{h:02d}:{m:02d}"


class Calendar(_Strict):
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]]
    holidays: list[date] = Field(default_factory=list)
    holiday_country: Optional[str] = None

    @field_validator("hours")
    @classmethod
    def _intervals_valid(cls, hours: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, texts in hours.items():
            spans = sorted((OpenInterval.parse(t) for t in texts), key=lambda i: i.start_seconds)
            for before, after in zip(spans, spans[1:]):
                if after.start_seconds < before.end_seconds:
                    raise ValueError(f"{day}: intervals {before} and {after} overlap")
        if not any(hours.values()):
            raise ValueError("a calendar needs at least one open interval")
        return hours

    @field_validator("holiday_country")
    @classmethod
    def _country_known(cls, country: Optional[str]) -> Optional[str]:
        if country is None:
            return None
        import holidays

        code, _, subdiv = country.partition("-")
        supported = holidays.list_supported_countries()
        if code not in supported:
            raise ValueError(f"unknown holiday country {country!r} (use an ISO code such as GB, US, DE, or GB-ENG)")
        if subdiv and subdiv not in supported[code]:
            raise ValueError(f"unknown subdivision {subdiv!r} of {code} (known: {', '.join(supported[code])})")
        return country

    @property
    def holiday_country_subdiv(self) -> tuple[Optional[str], Optional[str]]:
        """`GB-ENG` -> ("GB", "ENG"): a country code with an optional subdivision."""
        if self.holiday_country is None:
            return None, None
        code, _, subdiv = self.holiday_country.partition("-")
        return code, subdiv or None

    def intervals(self, weekday: int) -> list[OpenInterval]:
        """Sorted openings for a weekday (0 = Monday)."""
        texts = self.hours.get(WEEKDAYS[weekday], [])  # type: ignore[call-overload]
        return sorted((OpenInterval.parse(t) for t in texts), key=lambda i: i.start_seconds)


class MetricTarget(_Strict):
    """A metric target that names its own calendar."""

    target: int
    calendar: Optional[str] = None

    @field_validator("target", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        return parse_duration(value)


def _metric_target(value: Any) -> Any:
    if value is None or isinstance(value, (dict, MetricTarget)):
        return value
    return {"target": value}


class TierTargets(_Strict):
    """Targets of one tier (or a segment's override of it)."""

    calendar: Optional[str] = None
    acknowledge: Optional[MetricTarget] = None
    action_plan: Optional[MetricTarget] = None
    resolution: Optional[MetricTarget] = None

    _shorthand = field_validator("acknowledge", "action_plan", "resolution", mode="before")(
        classmethod(lambda cls, v: _metric_target(v))
    )

    def merged(self, override: "TierTargets") -> "TierTargets":
        """This tier with the keys the override sets (an explicit null unsets)."""
        data = {key: getattr(self, key) for key in TierTargets.model_fields}
        data.update({key: getattr(override, key) for key in override.model_fields_set})
        return TierTargets.model_construct(**data)

    def target(self, metric: str) -> tuple[str, Optional[int]]:
        """(calendar, target seconds or None) for one metric."""
        spec: Optional[MetricTarget] = getattr(self, metric)
        calendar = (spec.calendar if spec and spec.calendar else None) or self.calendar or BUILTIN_24X7
        return calendar, spec.target if spec else None


class Rubric(_Strict):
    weights: dict[Factor, float]
    scales: dict[Factor, dict[Union[int, bool, str], float]]
    thresholds: dict[Literal["critical", "high", "medium"], float]
    always_critical: list[Severity] = Field(default_factory=list)

    @field_validator("scales")
    @classmethod
    def _scales_valid(cls, scales: dict[str, dict[Any, float]]) -> dict[str, dict[Any, float]]:
        for factor, scale in scales.items():
            for key, score in scale.items():
                if not 0.0 <= score <= 1.0:
                    raise ValueError(f"{factor}.{key}: score {score} must be between 0 and 1")
            if factor == "customers_affected":
                for key in scale:
                    if isinstance(key, bool) or not isinstance(key, int) or key < 0:
                        raise ValueError(f"customers_affected.{key}: keys are counts (integers >= 0)")
            if factor in ("regulatory", "workaround"):
                for key in scale:
                    if not isinstance(key, bool):
                        raise ValueError(f"{factor}.{key}: keys are true / false")
            if factor == "severity":
                for key in scale:
                    if key not in SEVERITIES:
                        raise ValueError(f"severity.{key}: unknown severity (one of {', '.join(SEVERITIES)})")
        return scales

    @field_validator("thresholds")
    @classmethod
    def _thresholds_ordered(cls, thresholds: dict[str, float]) -> dict[str, float]:
        missing = [t for t in ("critical", "high", "medium") if t not in thresholds]
        if missing:
            raise ValueError(f"missing threshold for {', '.join(missing)}")
        if not thresholds["critical"] >= thresholds["high"] >= thresholds["medium"]:
            raise ValueError(
                "thresholds out of order: need critical >= high >= medium, got "
                f"critical={thresholds['critical']}, high={thresholds['high']}, medium={thresholds['medium']}"
            )
        return thresholds


class DisciplineRule(_Strict):
    """Owner teams (glob patterns, `Backend*`) that roll up to one discipline; the first rule that matches wins."""

    discipline: str = Field(min_length=1, max_length=64)
    teams: list[str] = Field(min_length=1)

    @field_validator("teams")
    @classmethod
    def _patterns(cls, teams: list[str]) -> list[str]:
        for pattern in teams:
            if not pattern.strip():
                raise ValueError("a team pattern is empty")
        return teams


class Route(_Strict):
    """What a tier triggers: a route, the channel it is worked in, who must join and how soon."""

    route: str = Field(min_length=1, max_length=64)
    channel: Optional[str] = Field(default=None, max_length=128)
    join_within: Optional[int] = None  # seconds, from a duration such as 15m
    responders: list[str] = Field(default_factory=list)

    _duration = field_validator("join_within", mode="before")(
        classmethod(lambda cls, v: None if v is None else parse_duration(v))
    )


class PlaybookWhen(_Strict):
    """When a playbook applies: every key given must hold (AND); a list holds when any value matches (OR)."""

    tier: Optional[list[Tier]] = None
    segment: Optional[list[str]] = None
    severity: Optional[list[Severity]] = None
    regulatory: Optional[bool] = None
    tags: Optional[list[str]] = None
    state: Optional[list[State]] = None


class PlaybookRule(_Strict):
    """A markdown runbook (path relative to the policy file) and when it applies; every matching rule applies."""

    file: str = Field(min_length=1)
    when: PlaybookWhen = Field(default_factory=PlaybookWhen)


# The earlier `playbooks: {key: FILE}` form, as the rules it always meant.
LEGACY_PLAYBOOKS: dict[str, list[dict[str, Any]]] = {
    "critical": [{"tier": ["critical"]}],
    "enterprise_breach": [{"segment": ["enterprise"], "state": ["breached", "at_risk"]}],
    "security": [{"severity": ["security"]}, {"regulatory": True}],
}


def _playbook_rules(value: Any) -> Any:
    """Accept the earlier three-key mapping alongside the list of rules."""
    if not isinstance(value, dict):
        return value
    rules = []
    for key, file in value.items():
        if key not in LEGACY_PLAYBOOKS:
            raise ValueError(f"{key}: unknown playbook key (the mapping form knows {', '.join(LEGACY_PLAYBOOKS)}; "
                             "use a list of rules with `when:` for any other)")
        rules += [{"file": file, "when": when} for when in LEGACY_PLAYBOOKS[key]]
    return rules


class NotifyTarget(_Strict):
    """Who hears of a clock turning at_risk or breached. Secrets are named by environment variable, never written."""

    to: Literal["slack", "pagerduty"]
    url_env: Optional[str] = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    routing_key_env: Optional[str] = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    states: list[Literal["at_risk", "breached"]] = Field(default=["at_risk", "breached"], min_length=1)
    tiers: list[Tier] = Field(default_factory=lambda: list(TIERS), min_length=1)
    # `weekly`: instead of clock messages, one message a week listing the post-incident reviews due or overdue
    # and the action items due this week or overdue (slack only).
    digest: Optional[Literal["weekly"]] = None

    @model_validator(mode="after")
    def _secret_named(self) -> "NotifyTarget":
        if self.digest is not None and self.to != "slack":
            raise ValueError("a digest goes to a slack target (one message a week to its channel)")
        if self.to == "slack" and not self.url_env:
            raise ValueError("a slack target needs url_env: the environment variable holding the webhook URL")
        if self.to == "pagerduty" and not self.routing_key_env:
            raise ValueError("a pagerduty target needs routing_key_env: the environment variable holding the key")
        return self


class PostMortem(_Strict):
    """Which incidents need a post-incident review, and how soon after they were resolved it is due."""

    tiers: list[Tier] = Field(default_factory=lambda: list(TIERS[:1]), min_length=1)  # critical
    due_within: int = Field(default=5 * 86400)  # seconds, from a duration such as 5d (24-hour days)
    # How long past due an unwritten review stays on the weekly list and digest: older ones (history imported
    # from before the team reviewed in SLA Board) are left to the quarterly retrospective, not chased each week.
    chase_for: int = Field(default=13 * 7 * 86400)

    _duration = field_validator("due_within", "chase_for", mode="before")(
        classmethod(lambda cls, v: parse_duration(v)))


class Forecast(_Strict):
    """The breach forecast for the shift: how far ahead it looks by default and the interval it shows."""

    horizon: int = Field(default=8 * 3600)  # seconds, from a duration such as 8h
    interval: float = Field(default=0.8, gt=0, lt=1)  # the probability the interval holds the outcome

    _duration = field_validator("horizon", mode="before")(classmethod(lambda cls, v: parse_duration(v)))


class Policy(_Strict):
    timezone: str
    at_risk_ratio: float = Field(default=0.75, gt=0, le=1)
    calendars: dict[str, Calendar] = Field(default_factory=dict)
    tiers: dict[Tier, TierTargets]
    segments: dict[str, dict[Tier, TierTargets]] = Field(default_factory=dict)
    pauses: dict[Metric, list[Status]] = Field(default_factory=dict)
    on_tier_change: Literal["recompute", "keep_initial"] = "recompute"
    on_reopen: Literal["resume", "first_resolution"] = "resume"
    rubric: Optional[Rubric] = None
    goals: dict[Tier, float] = Field(default_factory=dict)  # adherence each tier aims at
    triage_required: dict[Tier, list[str]] = Field(default_factory=dict)  # any ticket columns
    tags_required: dict[Tier, list[str]] = Field(default_factory=dict)
    # Without a `disciplines` key, a team named like a discipline (support, product, engineering) is that one.
    disciplines: list[DisciplineRule] = Field(
        default_factory=lambda: [DisciplineRule(discipline=d, teams=[d]) for d in DISCIPLINES])
    routes: dict[Tier, Route] = Field(default_factory=dict)
    playbooks: list[PlaybookRule] = Field(default_factory=list)
    notify: list[NotifyTarget] = Field(default_factory=list)
    post_mortem: PostMortem = Field(default_factory=PostMortem)
    context_window: int = Field(default=6 * 3600)  # seconds: deploys and signals shown before an incident started
    forecast: Forecast = Field(default_factory=Forecast)
    # Where the file was read from: playbook paths are relative to it. Not a key of the file.
    base_dir: Optional[Path] = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _zone_known(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {zone!r} (use an IANA name such as Europe/London)") from None
        return zone

    _legacy_playbooks = field_validator("playbooks", mode="before")(classmethod(lambda cls, v: _playbook_rules(v)))
    _window = field_validator("context_window", mode="before")(classmethod(lambda cls, v: parse_duration(v)))

    @field_validator("goals")
    @classmethod
    def _goals_are_shares(cls, goals: dict[str, float]) -> dict[str, float]:
        for tier, goal in goals.items():
            if not 0 < goal <= 1:
                raise ValueError(f"{tier}: goal {goal} must be a share of clocks met, above 0 and at most 1 (0.95)")
        return goals

    @field_validator("triage_required", "tags_required")
    @classmethod
    def _names_given(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for tier, names in value.items():
            for name in names:
                if not str(name).strip():
                    raise ValueError(f"{tier}: an empty name")
        return value

    @field_validator("calendars")
    @classmethod
    def _builtin_not_redefined(cls, calendars: dict[str, Calendar]) -> dict[str, Calendar]:
        if BUILTIN_24X7 in calendars:
            raise ValueError("24x7 is built in and cannot be redefined")
        return calendars

    @model_validator(mode="after")
    def _references_resolve(self) -> "Policy":
        missing = [t for t in TIERS if t not in self.tiers]
        if missing:
            raise ValueError(f"tiers: missing {', '.join(missing)} (all four tiers must be listed)")
        known = set(self.calendars) | {BUILTIN_24X7}
        for where, targets in self._all_targets():
            names = [targets.calendar] + [
                getattr(targets, m).calendar for m in METRICS if getattr(targets, m) is not None
            ]
            for name in names:
                if name is not None and name not in known:
                    raise ValueError(f"{where}: unknown calendar {name!r} (known: {', '.join(sorted(known))})")
        return self

    def _all_targets(self) -> list[tuple[str, TierTargets]]:
        found = [(f"tiers.{tier}", targets) for tier, targets in self.tiers.items()]
        for segment, tiers in self.segments.items():
            found += [(f"segments.{segment}.{tier}", targets) for tier, targets in tiers.items()]
        return found

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def segment_names(self) -> list[str]:
        """Every segment the policy names: its targets per segment and the rubric's segment scale."""
        named = list(self.segments)
        if self.rubric is not None:
            named += [str(key) for key in self.rubric.scales.get("segment", {})]
        return list(dict.fromkeys(named))

    def targets_for(self, tier: str, segment: Optional[str] = None) -> TierTargets:
        """The tier's targets with the segment's override merged over them."""
        base = self.tiers[tier]  # type: ignore[index]
        override = self.segments.get(segment or "", {}).get(tier)  # type: ignore[call-overload]
        return base.merged(override) if override else base

    def pause_statuses(self, metric: str) -> list[str]:
        return list(self.pauses.get(metric, []))  # type: ignore[call-overload]

    def playbook_path(self, rule: PlaybookRule) -> Path:
        """A playbook file, relative to the policy's folder."""
        return (self.base_dir or Path.cwd()) / rule.file

    def to_yaml(self) -> str:
        """The policy as a YAML file `load_policy` reads back to an equal policy."""
        return yaml.safe_dump(policy_to_dict(self), sort_keys=False, allow_unicode=True)


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Plain data in the file's own spelling (durations as `2h`, dates as text)."""

    def targets(t: TierTargets, only_set: bool) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys = t.model_fields_set if only_set else {"calendar", *METRICS}
        if "calendar" in keys and t.calendar is not None:
            out["calendar"] = t.calendar
        for metric in METRICS:
            if metric not in keys:
                continue
            spec: Optional[MetricTarget] = getattr(t, metric)
            if spec is None:
                out[metric] = None
            elif spec.calendar:
                out[metric] = {"target": format_duration(spec.target), "calendar": spec.calendar}
            else:
                out[metric] = format_duration(spec.target)
        return out

    data: dict[str, Any] = {"timezone": policy.timezone, "at_risk_ratio": policy.at_risk_ratio}
    data["calendars"] = {
        name: {
            "hours": {day: list(spans) for day, spans in cal.hours.items()},
            "holidays": [d.isoformat() for d in cal.holidays],
            **({"holiday_country": cal.holiday_country} if cal.holiday_country else {}),
        }
        for name, cal in policy.calendars.items()
    }
    data["tiers"] = {tier: targets(t, only_set=False) for tier, t in policy.tiers.items()}
    data["segments"] = {
        seg: {tier: targets(t, only_set=True) for tier, t in tiers.items()} for seg, tiers in policy.segments.items()
    }
    data["pauses"] = {m: list(s) for m, s in policy.pauses.items()}
    data["on_tier_change"] = policy.on_tier_change
    data["on_reopen"] = policy.on_reopen
    if policy.rubric is not None:
        data["rubric"] = {
            "weights": dict(policy.rubric.weights),
            "scales": {f: dict(s) for f, s in policy.rubric.scales.items()},
            "thresholds": dict(policy.rubric.thresholds),
            "always_critical": list(policy.rubric.always_critical),
        }
    data["goals"] = dict(policy.goals)
    data["triage_required"] = {t: list(f) for t, f in policy.triage_required.items()}
    data["tags_required"] = {t: list(f) for t, f in policy.tags_required.items()}
    data["disciplines"] = [rule.model_dump() for rule in policy.disciplines]
    data["routes"] = {
        tier: {**route.model_dump(exclude_none=True, exclude={"join_within"}),
               **({"join_within": format_duration(route.join_within)} if route.join_within else {})}
        for tier, route in policy.routes.items()
    }
    data["playbooks"] = [
        {"file": rule.file, "when": rule.when.model_dump(exclude_none=True)} for rule in policy.playbooks
    ]
    data["notify"] = [target.model_dump(exclude_none=True) for target in policy.notify]
    data["post_mortem"] = {"tiers": list(policy.post_mortem.tiers),
                           "due_within": format_duration(policy.post_mortem.due_within),
                           "chase_for": format_duration(policy.post_mortem.chase_for)}
    data["context_window"] = format_duration(policy.context_window)
    data["forecast"] = {"horizon": format_duration(policy.forecast.horizon), "interval": policy.forecast.interval}
    return data


def describe_validation_error(err: ValidationError) -> str:
    """One line per problem, each naming the key path: `tiers.high.acknowledge: ...`."""
    lines = []
    for problem in err.errors():
        # Keys come from the user's file: show odd ones (empty, with spaces or newlines) quoted.
        path = ".".join(
            str(p) if str(p).isprintable() and str(p).strip() == str(p) and str(p) else repr(p)
            for p in problem["loc"]
            if not str(p).startswith("function-")
        )
        message = problem["msg"].removeprefix("Value error, ")
        if problem["type"] == "extra_forbidden":
            message = "unknown key (not part of the policy format)"
        elif problem["type"] == "literal_error":
            message = f"{problem.get('input')!r} is not allowed: {message}"
        elif problem["type"] == "missing":
            message = "required key is missing"
        lines.append(f"{path}: {message}" if path else message)
    return " ".join("; ".join(lines).split())


def policy_from_dict(data: Any, base_dir: Optional[Path] = None) -> Policy:
    """Validate plain data as a policy, raising PolicyError with a readable message."""
    if not isinstance(data, dict):
        raise PolicyError("policy: the file must be a YAML mapping of keys (timezone, calendars, tiers, ...)")
    try:
        return Policy.model_validate({**data, "base_dir": base_dir})
    except ValidationError as err:
        raise PolicyError(f"policy: {describe_validation_error(err)}") from None


def load_policy(path: Union[str, Path]) -> Policy:
    """Read and validate a policy file; playbook paths resolve next to it."""
    path = Path(path)
    return policy_from_dict(read_yaml(path, "policy", PolicyError), base_dir=path.resolve().parent)


__all__ = [
    "BUILTIN_24X7",
    "Calendar",
    "Forecast",
    "MetricTarget",
    "Policy",
    "PolicyError",
    "PostMortem",
    "Rubric",
    "TierTargets",
    "format_duration",
    "load_policy",
    "parse_duration",
    "policy_from_dict",
    "policy_to_dict",
]
