"""What a connector hands to `run`: pages of records spelled as the tool's export, each with its cursor.

A connector turns one page of a tool's API answer into rows named and written as that tool's export names and
writes them (the preset's column spellings: Zendesk's `Created at`, Jira's `Custom field (Team)`, ServiceNow's
`opened_at`), or, for a monitoring tool whose preset reads its API answer, the records as they came. `run`
writes the page to a file and loads it with the same preset and loader as `import`, so a ticket synced from
the API equals the same ticket imported from the export by construction (tests/sync proves it per tool).

The cursor is the source's own state after the page (a resume token, a time watermark, an offset): plain JSON,
stored in `sync_state` in the transaction that stores the page.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator, Literal, Optional, Union
from zoneinfo import ZoneInfo

from sla_core.ingest.mapping import Mapping
from sla_core.policy import Policy
from sla_core.sync.config import Source, SyncConfig
from sla_core.sync.http import Client

Cursor = dict[str, Any]
Cell = Union[str, list[str], None]  # a list: a column the export repeats once per value (Jira's Labels)
EVENT_HEADER = ("ticket_id", "at", "field", "value")
SURVEY_HEADER = ("account", "at", "kind", "score")  # a plain survey answers file (docs/data.md)


@dataclass
class Page:
    """One page of a source, ready to load."""

    rows: list[dict[str, Any]]  # export-shaped rows (tickets), or the API's records as they came (signals)
    cursor: Cursor  # the source's state once this page is stored
    fetched: int  # records the API answered with (rows may hold fewer: out of the source's scope)
    events: list[dict[str, str]] = field(default_factory=list)  # these tickets' whole history (ticket_id, at, ...)
    # survey answers read with these tickets (account, at, kind, score): stored before the page and its cursor, so
    # a run killed between the two writes them again, unchanged (their identity is account, time and kind)
    surveys: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Context:
    """What a connector may use: its source, the HTTP client, the policy's timezone and the load's mapping."""

    name: str
    source: Source
    config: SyncConfig
    client: Client
    policy: Policy
    now: datetime  # the run's start (sla_core.now): windows end here
    mapping: Mapping  # the mapping the page is loaded with (the source's own, else the preset)
    stored_open: Callable[[], list[str]] = lambda: []  # this tool's signals the store holds still open
    # these tickets' events as the store holds them (ticket_id, at in UTC ISO 8601, field, value), for a tool
    # whose API gives only the history since its cursor: a load replaces a ticket's history, so it must be whole
    stored_events: Callable[[list[str]], list[dict[str, str]]] = lambda ids: []

    @property
    def stamps(self) -> "Stamps":
        return Stamps(self.mapping, self.policy.timezone)

    def first_start(self) -> datetime:
        """Where a source's first run begins: its `start`, else 30 days before now."""
        return self.source.start or (self.now - timedelta(days=30))


# the credentials (sync.yaml `credentials`, read from the environment) -> (request headers, HTTP Basic user+password)
Auth = Callable[[dict[str, str]], tuple[dict[str, str], Optional[tuple[str, str]]]]


def basic(user: str, password: str) -> Auth:
    """HTTP Basic from two credentials (`{user}` may be formatted around one, as Zendesk's `email/token`)."""
    return lambda secrets: ({}, (user.format(**secrets), password.format(**secrets)))


def header(**templates: str) -> Auth:
    """Headers formatted from the credentials: header(Authorization="Bearer {token}")."""
    return lambda secrets: ({name.replace("_", "-"): value.format(**secrets) for name, value in templates.items()},
                            None)


@dataclass(frozen=True)
class Connector:
    """One tool: the import preset its pages load with, how they are written, its page reader and its sign-in."""

    tool: str
    export_format: str  # the `import --source` value, whose preset reads the pages
    shape: Literal["csv", "json"]
    key: str  # the id field of a row: a page keeps the last row of an id it repeats
    pages: Callable[[Context, Optional[Cursor]], Iterator[Page]]
    auth: Auth
    json_key: str = "data"  # a JSON page's list key, as the tool's answer names it
    preset: str = ""  # the preset file its pages are spelled for, when not export_format's own

    @property
    def preset_name(self) -> str:
        return self.preset or self.export_format


def instant(value: Any) -> Optional[datetime]:
    """An API's instant as an aware datetime: ISO 8601 (`Z`, `+0000`, `+00:00`; naive text is UTC, as
    ServiceNow's stored values are), or epoch seconds (Intercom). None for empty."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    moment = datetime.fromisoformat(str(value).strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def iso(moment: datetime) -> str:
    """A watermark as the cursor keeps it: ISO 8601 in UTC."""
    return moment.astimezone(timezone.utc).isoformat()


class Stamps:
    """Instants written as the load's mapping reads them: in its first format with an offset (`%z`), so the
    instant is exact; a mapping with only naive formats (ServiceNow's list export) gets the time in the policy's
    timezone, as that export's own times are in the user's zone; without formats, ISO 8601 with the offset."""

    def __init__(self, mapping: Mapping, zone: str) -> None:
        formats = mapping.formats
        aware = [f for f in formats if "%z" in f]
        self.format = aware[0] if aware else (formats[0] if formats else "")
        self.zone = None if aware or not formats else ZoneInfo(zone)

    def __call__(self, value: Any) -> Optional[str]:
        moment = value if isinstance(value, datetime) else instant(value)
        if moment is None:
            return None
        if not self.format:
            return moment.isoformat()
        if self.zone is not None:
            return moment.astimezone(self.zone).strftime(self.format)
        return moment.astimezone(timezone.utc).strftime(self.format)


def write_page(page: Page, connector: Connector, folder: Path) -> tuple[Path, Optional[Path]]:
    """The page as the file its preset reads (CSV with the export's header, or the API's JSON answer), and its
    events as a plain events file when it has any."""
    if connector.shape == "json":
        path = folder / "page.json"
        path.write_text(json.dumps({connector.json_key: page.rows}, ensure_ascii=False), encoding="utf-8")
    else:
        path = folder / "page.csv"
        _write_csv(path, page.rows)
    events = None
    if page.events:
        events = folder / "events.csv"
        _write_csv(events, page.events, header=EVENT_HEADER)
    return path, events


def write_surveys(page: Page, folder: Path) -> Path:
    """The page's survey answers as the plain survey answers file `import` reads."""
    path = folder / "surveys.csv"
    _write_csv(path, page.surveys, header=SURVEY_HEADER)
    return path


def _write_csv(path: Path, rows: list[dict[str, Any]], header: tuple[str, ...] = ()) -> None:
    """Rows as CSV: the header is every column in order of first use; a list value repeats its column as often
    as the longest list of the page (as Jira's export repeats `Labels`)."""
    widths: dict[str, int] = {name: 1 for name in header}
    for row in rows:
        for name, value in row.items():
            width = len(value) if isinstance(value, list) else 1
            widths[name] = max(widths.get(name, 1), width)
    columns = list(widths)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([name for name in columns for _ in range(widths[name])])
        for row in rows:
            cells: list[str] = []
            for name in columns:
                value = row.get(name)
                texts = ["" if v is None else str(v) for v in (value if isinstance(value, list) else [value])]
                cells.extend(texts + [""] * (widths[name] - len(texts)))
            writer.writerow(cells)


__all__ = ["Auth", "Cell", "Connector", "basic", "header", "Context", "Cursor", "Page", "Stamps", "instant", "iso", "write_page",
           "write_surveys"]
