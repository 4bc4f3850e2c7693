"""`sync.yaml`: which tools `sync` reads, where, with which credentials and what scope (docs/sync.md).

Kept apart from the policy, like the access file: the policy is the SLA contract a team signs, this file is
plumbing an admin keeps. Validated with pydantic; a bad file is refused in one line naming the key.

Secrets never live here. A source names the *environment variables* that hold its credentials, and a value
that does not look like a variable name is refused without being repeated (it may be a pasted token). The
values are read from the environment when a source runs (`credentials`), and go only into request headers.
"""

from __future__ import annotations

import os
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, Mapping, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sla_core.errors import UserError
from sla_core.vocab import STATUSES
from sla_core.yamlfile import read_yaml

CONFIG_ENV = "SLA_BOARD_SYNC"
DEFAULT_CONFIG = "sync.yaml"

# tool -> the credentials it needs, each named by an environment variable in `credentials:`
CREDENTIALS: dict[str, tuple[str, ...]] = {
    "zendesk": ("email", "token"),
    "jira": ("email", "token"),
    "servicenow": ("user", "password"),
    "pagerduty": ("token",),
    "freshdesk": ("api_key",),
    "intercom": ("token",),
    "opsgenie": ("api_key",),
    "sentry": ("token",),
    "datadog": ("api_key", "app_key"),
}
TOOLS: tuple[str, ...] = tuple(CREDENTIALS)

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")
_SECONDS = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class SyncConfigError(UserError, ValueError):
    """A sync.yaml that cannot be used; one line naming the file and the key."""


class SourceFailed(Exception):
    """One source cannot go on in this run (refused credentials, a server that keeps failing, a rate limit past
    the bound): one line naming the source and the reason, never a secret. What it committed stays; the other
    sources go on."""


def seconds(value: Any) -> float:
    """`500ms`, `30s`, `5m`, `2h`, `30d` (or a bare number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("give a duration such as 30s, 5m or 2h")
    if isinstance(value, (int, float)):
        number = float(value)
    else:
        match = _SECONDS.match(str(value))
        if not match:
            raise ValueError(f"{value!r} is not a duration such as 30s, 5m or 2h")
        number = float(match.group(1)) * _UNIT[match.group(2)]
    if number < 0:
        raise ValueError("a duration cannot be negative")
    return number


Seconds = Annotated[float, Field(ge=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Source(_Strict):
    """What every source names, whatever its tool."""

    base_url: str  # the tool's address (a test points it at a local server)
    credentials: dict[str, str]  # credential -> the environment variable holding it
    mapping: Optional[Path] = None  # a mapping file for custom fields, as `import --mapping` takes
    schedule: Seconds = 300.0  # how often cron runs it; the app warns past 3x this without a good run
    start: Optional[datetime] = None  # where the first run begins; default 30 days before it
    page_size: int = Field(100, ge=1, le=1000)
    overlap: Seconds = 120.0  # read back this far behind a time watermark: late writes, clock skew

    @field_validator("schedule", "overlap", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return seconds(value)

    @field_validator("start", mode="before")
    @classmethod
    def _start(cls, value: Any) -> Any:
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value

    @field_validator("base_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("give the tool's address, starting with https://")
        return value.rstrip("/")

    @field_validator("credentials", mode="before")
    @classmethod
    def _variable_names(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key, name in value.items():
                if not isinstance(name, str) or not _ENV_NAME.match(name):  # the value is never repeated
                    raise ValueError(f"{key}: name the environment variable that holds it (such as "
                                     f"ZENDESK_API_TOKEN), never the secret itself")
        return value

    @model_validator(mode="after")
    def _needed_credentials(self) -> "_Source":
        tool = getattr(self, "tool")
        needed, given = CREDENTIALS[tool], set(self.credentials)
        missing = [c for c in needed if c not in given]
        if missing:
            raise ValueError(f"credentials: {tool} needs {', '.join(needed)} (each an environment variable name); "
                             f"{', '.join(missing)} missing")
        extra = sorted(given - set(needed))
        if extra:
            raise ValueError(f"credentials: {', '.join(extra)} not used by {tool} (it takes {', '.join(needed)})")
        return self


class ZendeskSource(_Source):
    tool: Literal["zendesk"]
    brand: Optional[int] = None  # only this brand's tickets (the export API has no brand filter: kept by id)


class JiraSource(_Source):
    tool: Literal["jira"]
    jql: str  # which issues, e.g. `project = SUP`; sync adds the `updated` window and the order
    # your workflow's status names -> a status (open, waiting_on_customer, ...), over the jira_changelog preset's
    statuses: dict[str, str] = Field(default_factory=dict)

    @field_validator("statuses")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        allowed = (*STATUSES, "reopened")
        for name, status in value.items():
            if status not in allowed:
                raise ValueError(f"{name}: {status!r} is not one of {', '.join(allowed)}")
        return value


class ServiceNowSource(_Source):
    tool: Literal["servicenow"]
    table: str = "incident"
    query: str = ""  # an encoded query, e.g. `assignment_group.name=Service Desk`
    audit: bool = True  # read sys_audit for assignment-group changes (handoffs)

    @field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        if not re.match(r"^[a-z][a-z0-9_]*$", value):
            raise ValueError("a table name such as incident")
        return value


class _Windowed(_Source):
    window: Seconds = 30 * 86400.0  # records are listed by creation time in windows this long (≤ 6 months)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> float:
        number = seconds(value)
        if not 3600 <= number <= 180 * 86400:
            raise ValueError("between 1h and 180d (PagerDuty searches at most 6 months at once)")
        return number


class PagerDutySource(_Windowed):
    tool: Literal["pagerduty"]
    service_ids: list[str] = Field(default_factory=list)  # none: every service


class FreshdeskSource(_Source):
    tool: Literal["freshdesk"]


class IntercomSource(_Source):
    tool: Literal["intercom"]


class OpsgenieSource(_Windowed):
    tool: Literal["opsgenie"]
    query: str = ""  # an alert search query, e.g. `tag: production`; sync adds the time window


class SentrySource(_Source):
    tool: Literal["sentry"]
    organization: str
    projects: list[str] = Field(default_factory=list)  # project ids; none: every project of the organization
    query: str = ""  # an issue search; empty reads every issue (Sentry's default is only the unresolved)


class DatadogSource(_Source):
    tool: Literal["datadog"]


Source = Annotated[
    Union[ZendeskSource, JiraSource, ServiceNowSource, PagerDutySource, FreshdeskSource, IntercomSource,
          OpsgenieSource, SentrySource, DatadogSource],
    Field(discriminator="tool"),
]


class SyncConfig(_Strict):
    """The whole file: how patient to be with every tool, and the sources by name."""

    timeout: Seconds = 30.0  # per request
    retries: int = Field(4, ge=0, le=20)  # after a 429, a 5xx or a network error, before the source stops
    backoff: Seconds = 1.0  # first wait after a 5xx or a network error; doubled each time
    retry_after_max: Seconds = 120.0  # the longest Retry-After honoured; a longer one stops the source
    sources: dict[str, Source]
    base_dir: Optional[Path] = None  # the file's folder: a source's mapping path is read from there

    @field_validator("timeout", "backoff", "retry_after_max", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> float:
        return seconds(value)

    @field_validator("sources")
    @classmethod
    def _names(cls, value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            raise ValueError("name at least one source")
        for name in value:
            if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", name):
                raise ValueError(f"{name!r}: a source's name is letters, digits, '-', '_' or '.'")
        return value

    def mapping_path(self, name: str) -> Optional[Path]:
        path = self.sources[name].mapping
        if path is None or path.is_absolute() or self.base_dir is None:
            return path
        return self.base_dir / path


def config_path(path: Optional[Union[str, Path]] = None) -> Path:
    """The configuration: the given path, else SLA_BOARD_SYNC, else sync.yaml here."""
    return Path(path or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _describe(err: ValidationError) -> str:
    """The first problem, naming its key path (`sources.helpdesk.brand`), in one line."""
    problem = err.errors()[0]
    loc = [str(p) for p in problem["loc"]]
    if len(loc) >= 3 and loc[0] == "sources" and loc[2] in TOOLS:
        del loc[2]  # the union's tag: `sources.x.zendesk.brand` reads as `sources.x.brand`
    message = problem["msg"].removeprefix("Value error, ")
    kind = problem["type"]
    if kind == "extra_forbidden":
        message = "unknown key"
    elif kind == "missing":
        message = "required key is missing"
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("tool")
        message = f"one of {', '.join(TOOLS)}"
    elif kind == "literal_error":
        message = f"{problem.get('input')!r} is not allowed: {message}"
    if "credentials" in loc and kind not in ("missing", "extra_forbidden") and "input" in problem:
        message = message.split(" [")[0]  # pydantic may quote the input: a secret pasted by mistake
    path = ".".join(loc)
    return " ".join(f"{path}: {message}".split()) if path else message


def config_from_dict(data: Any, where: str = "sync.yaml", base_dir: Optional[Path] = None) -> SyncConfig:
    if not isinstance(data, dict):
        raise SyncConfigError(f"{where}: the file must be a YAML mapping with `sources:`")
    try:
        return SyncConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as err:
        raise SyncConfigError(f"{where}: {_describe(err)}") from None


def load_config(path: Optional[Union[str, Path]] = None) -> SyncConfig:
    """Read and validate sync.yaml (or SLA_BOARD_SYNC's file); errors are one line naming the file and key."""
    path = config_path(path)
    if not path.exists():
        raise SyncConfigError(f"no sync configuration at {path}: copy sync.yaml.example, or name one with "
                              f"--config or {CONFIG_ENV}")
    data = read_yaml(path, "sync configuration", SyncConfigError)
    return config_from_dict(data, where=str(path), base_dir=path.resolve().parent)


def credentials(name: str, source: _Source, env: Mapping[str, str]) -> dict[str, str]:
    """The source's secrets from the environment; a missing one is named by its variable, never shown."""
    values: dict[str, str] = {}
    for key in CREDENTIALS[getattr(source, "tool")]:
        variable = source.credentials[key]
        value = env.get(variable, "")
        if not value:
            raise SourceFailed(f"{name}: the environment variable {variable} ({key}) is not set")
        values[key] = value
    return values


__all__ = [
    "CONFIG_ENV",
    "CREDENTIALS",
    "Source",
    "SyncConfig",
    "SourceFailed",
    "SyncConfigError",
    "TOOLS",
    "config_from_dict",
    "config_path",
    "credentials",
    "load_config",
    "seconds",
]
