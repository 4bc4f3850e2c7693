"""The live sample: drawn for "now"'s local date and cut at now, so the board is live on any day."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pyarrow as pa

from sla_core.sample.draws import DEFAULT_TIMEZONE, generate

# The live sample: about this many tickets a year, a year of full months before the month in progress.
LIVE_PER_YEAR = 5000
LIVE_MONTHS = 12


def live_window(now: datetime, timezone: str = DEFAULT_TIMEZONE) -> tuple[date, date]:
    """(first day, day after the last) of the live sample drawn for `now`'s local date.

    From the first day of the month LIVE_MONTHS before now's month to the end of
    now's local day: the review always has a year of complete months behind it.
    """
    today = now.astimezone(ZoneInfo(timezone)).date()
    index = today.year * 12 + today.month - 1 - LIVE_MONTHS
    return date(index // 12, index % 12 + 1, 1), today + timedelta(days=1)


def live_sample(
    now: datetime, seed: int = 7, timezone: str = DEFAULT_TIMEZONE, per_year: int = LIVE_PER_YEAR
) -> tuple[pa.Table, pa.Table]:
    """The bundled sample as it stands at `now`: drawn for now's local date, cut at now.

    The same seed and date give the same tickets all day; later in the day the
    same tickets have moved on (more acknowledged, resolved, breached).
    """
    if now.tzinfo is None:
        raise ValueError("now must carry a timezone")
    first, end = live_window(now, timezone)
    n = max(1, round(per_year * (end - first).days / 365))
    return generate(n, seed, first, end, timezone, cut=now)
