"""Synthetic SLA Board data: a realistic year of support work, drawn in bulk, for the app, the tests and
the benchmarks.

Why: they need data that exercises every rule (business hours, pauses, reopens, tier changes, handoffs,
empty impacts, rubric disagreements, a live queue at the end) without shipping anyone's real tickets.
`draws` draws the tickets and events with numpy over whole arrays (a million tickets take seconds),
`signals` the monitoring signals, survey answers and deploys in SQL from them, `tables` loads them into DuckDB,
`live` cuts the bundled sample at "now", `files` writes them out.

Regenerate the committed sample (sample_data/tickets.csv, events.csv, signals.csv, surveys.csv and deploys.csv):

    python -m sla_core sample --tickets 3000 --seed 7 --out sample_data

(the defaults are --format csv --start 2025-12-01 --end 2026-11-26T12:00
--timezone Europe/London; a date-only --end means midnight starting that day).
"""

from sla_core.sample.draws import DEFAULT_END, DEFAULT_START, DEFAULT_TIMEZONE, generate
from sla_core.sample.files import write_files, write_signal_files
from sla_core.sample.live import LIVE_MONTHS, LIVE_PER_YEAR, live_sample, live_window
from sla_core.sample.signals import add_signals_and_surveys
from sla_core.sample.tables import load_tables, write_into

__all__ = [
    "DEFAULT_END",
    "DEFAULT_START",
    "DEFAULT_TIMEZONE",
    "LIVE_MONTHS",
    "LIVE_PER_YEAR",
    "add_signals_and_surveys",
    "generate",
    "live_sample",
    "live_window",
    "load_tables",
    "write_files",
    "write_into",
    "write_signal_files",
]
