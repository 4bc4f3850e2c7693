""""Now", for the whole product: `SLA_BOARD_NOW` when set, else the machine's clock.

Why one function: every running clock, the default `--as-of`, the live
sample, the queue's refresh and an overdue action item depend on the
instant they are judged at. When all of them ask here, any day can be
replayed (`SLA_BOARD_NOW=2027-03-01T00:30:00+00:00 make run`) and a test
never depends on the day it runs. Nothing else in the project reads the
clock (a test checks the source for it).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

from sla_core.errors import UserError

NOW_ENV = "SLA_BOARD_NOW"


class NowError(UserError, ValueError):
    """`SLA_BOARD_NOW` holds something that is not an instant."""


def parse_instant(text: str, *, what: str = NOW_ENV) -> datetime:
    """ISO 8601 text -> an aware instant; a value without an offset is read as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise NowError(f"{what}={text!r}: not an ISO 8601 instant (e.g. 2026-12-03T09:30:00+00:00)") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def now() -> datetime:
    """The instant everything is judged at: `SLA_BOARD_NOW` (ISO 8601) when set, else the clock (UTC)."""
    text = os.environ.get(NOW_ENV, "").strip()
    if text:
        return parse_instant(text)
    return datetime.now(timezone.utc)
