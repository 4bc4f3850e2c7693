"""The monthly report: one self-contained HTML file to attach to the review meeting invite.

It carries every chart of the review (interactive plotly, with plotly.js
inlined once, so the file opens without a network), the adherence numbers per
tier and metric against the previous month, the breached clocks, the systemic
metrics of `sla_core.analysis.insights`, the retrospective and the open action items.
All text that comes from data (ticket ids, segments, summaries, owners) is
escaped with `html.escape`; plotly escapes the JSON it embeds.

Its charts are charts.py's, the very figures the app draws.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Optional, Union

import pandas as pd
from plotly.offline import get_plotlyjs

from sla_core import feedback, periods
from sla_core.analysis import feedback_loops, incidents, insights, review
from sla_core.analysis.filters import Filters
from sla_core.periods import month_label, shift_month
from sla_core.present import words
from sla_core.present.charts import Chart, insight_charts, review_charts
from sla_core.sources import DataSource

PathLike = Union[str, Path]
OUTCOME_COLORS = {"met": "#2e9d5b", "breached": "#e0484d"}
BREACHED_ROWS = 500  # the report lists at most this many breached clocks (and says how many there were)
# What a breached clock's row shows, as narrow as the Review's drill-down (the state is in the heading).
BREACHED_COLUMNS = ["ticket_id", "tier", "metric", "owner_team", "created", "due", "stopped", "target_minutes",
                    "elapsed_minutes", "overdue_minutes"]
CHART_HEIGHT = 360


# --- HTML ---------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, (pd.Timestamp, datetime)):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def table_html(frame: pd.DataFrame, percent: tuple[str, ...] = (), empty: str = "Nothing to show.",
               zone: Optional[str] = None) -> str:
    """A frame as an HTML table in the words the app's pages use (words.for_people: labelled columns, durations
    in hours and days, a dash in an empty cell); every cell and header escaped, shares as percentages."""
    if frame.empty:
        return f'<p class="empty">{html.escape(empty)}</p>'
    shares = {words.label(c) for c in frame.columns if isinstance(c, str) and words.is_share(c, percent)}
    frame = words.for_people(frame, percent=percent, zone=zone)
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, record):
            if col in shares and isinstance(value, (int, float)) and not pd.isna(value):
                text = f"{value:.1%}"
            else:
                text = _cell(value)
            cells.append(f"<td class='long'>{html.escape(text)}</td>" if len(text) > 32
                         else f"<td>{html.escape(text)}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return f"<div class='scroll'><table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>"


def _chart_html(chart: Chart) -> str:
    body = chart.figure.to_html(full_html=False, include_plotlyjs=False, default_width="100%",
                                config={"displaylogo": False})
    return (f'<figure class="chart" data-chart="{html.escape(chart.key)}">'
            f"<h3>{html.escape(chart.title)}</h3>{body}</figure>")


def _pct(value: Optional[float]) -> str:
    return "—" if value is None else f"{value:.1%}"


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;
     color:#1f2430;padding:0 1rem}
h1{margin-bottom:.2rem} .meta{color:#5b6270;margin-top:0}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem;width:100%}
th,td{border-bottom:1px solid #e3e5ea;padding:.3rem .5rem;text-align:left;vertical-align:top;white-space:nowrap}
td.long{white-space:normal;min-width:16rem} .scroll{overflow-x:auto}
th{background:#f4f5f8} .empty{color:#5b6270;font-style:italic}
.cards{display:flex;gap:1rem;flex-wrap:wrap}
.card{border:1px solid #e3e5ea;border-radius:.5rem;padding:.6rem 1rem;min-width:11rem}
.card b{display:block;font-size:1.4rem} figure.chart{margin:0 0 1.5rem} .note{color:#5b6270;font-size:.85rem}
"""


@dataclass(frozen=True)
class _Month:
    """The reviewed month as the report labels it."""

    label: str  # `2026-11`, or `2026-12 (3 days so far)` for a month in progress
    previous: str


def _adherence_section(src: DataSource, filters: Filters, month: _Month) -> list[str]:
    """Headline cards and adherence per tier and metric against the month before."""
    parts: list[str] = []
    add = parts.append
    head = review.headline(src, filters)
    add("<h2>Adherence</h2><div class='cards'>")
    for title, value in (
        (f"Adherence {month.label}", _pct(head.month.adherence)),
        (f"Adherence {month.previous}", _pct(head.previous.adherence)),
        ("Met", f"{head.month.met:,}"),
        ("Breached", f"{head.month.breached:,} ({head.previous.breached:,} in {month.previous})"),
        ("Last 12 months", _pct(head.last_12_months.adherence)),
    ):
        add(f"<div class='card'>{html.escape(title)}<b>{html.escape(value)}</b></div>")
    add("</div>")
    table = review.adherence_table(src, filters)
    add(f"<h3>Per tier and metric, {html.escape(month.label)} vs {html.escape(month.previous)}</h3>")
    add(table_html(
        table[["tier", "metric", "met", "breached", "adherence", "prev_met", "prev_breached", "prev_adherence"]]
        .rename(columns={"adherence": f"adherence {month.label}", "prev_met": f"met {month.previous}",
                         "prev_breached": f"breached {month.previous}", "prev_adherence": f"adherence {month.previous}"}),
        percent=(f"adherence {month.label}", f"adherence {month.previous}"),
        empty=f"No SLA clocks were decided in {month.label} or the 11 months before.",
    ))
    return parts


def _charts_section(src: DataSource, filters: Filters) -> list[str]:
    """The Review's charts (charts.py), drawn as the app draws them."""
    parts: list[str] = []
    add = parts.append
    add("<h2>Review charts</h2>")
    charts = review_charts(src, filters)
    parts.extend(_chart_html(c) for c in charts)
    if not charts:
        add("<p class='empty'>No decided clocks to chart.</p>")
    return parts


def _breached_section(src: DataSource, filters: Filters, month: _Month) -> list[str]:
    """The breached clocks of the month, the latest BREACHED_ROWS of them."""
    parts: list[str] = []
    add = parts.append
    total = review.count_behind(src, filters, state="breached")
    breached = review.tickets_behind(src, filters, state="breached", limit=BREACHED_ROWS)
    add(f"<h2>Breached clocks, {html.escape(month.label)} ({total:,})</h2>")
    if total > BREACHED_ROWS:
        add(f"<p class='note'>The latest {BREACHED_ROWS:,} are listed; the app's Review page downloads all.</p>")
    add(table_html(breached[BREACHED_COLUMNS], empty=f"No clock breached in {month.label}.",
                   zone=src.policy.timezone))
    return parts


def _beyond_section(src: DataSource, filters: Filters, month: _Month) -> list[str]:
    """The systemic metrics of sla_core.analysis.insights: charts and tables."""
    parts: list[str] = []
    add = parts.append
    add("<h2>Beyond the timers</h2>")
    add("<p class='note'>Wall-clock hours unless a column names an SLA clock; every word is defined in the "
        "board's glossary (docs/glossary.md). " + html.escape(insights.cohort_rule(src)) + ".</p>")
    summary = insights.summarize(src, filters)
    parts.extend(_chart_html(c) for c in insight_charts(summary))
    share = incidents.monitoring_share(summary.detect)
    ratio = summary.quality.loc[summary.quality["tier"] == "all", "wait_ratio"]
    for title, frame, pct_cols in (
        ("Time to definitive resolution by owner team", summary.resolution, ()),
        ("Time with each owner", summary.owners, ("share_of_time",)),
        ("Handoff waits by receiving team", summary.waits, ()),
        ("Reopen rate per tier and owner team", summary.reopens, ("reopen_rate",)),
        (f"Time to detect (monitoring saw {_pct(share)} of incidents first)", summary.detect, ("share",)),
        ("The incidents behind it, slowest detection first", incidents.detect_incidents(src, filters), ()),
        (f"NPS and CSAT of the accounts hit by critical incidents, {incidents.COHORT_WINDOW_DAYS} days before vs "
         "after, next to the other accounts", summary.satisfaction, ()),
        ("CSAT after incidents", summary.csat, ("share_low",)),
        (f"CSAT of the impacted cohort, {insights.CSAT_WINDOW_DAYS} days before vs after their first incident",
         summary.cohort, ()),
        ("Handoff quality (engineering handoffs with every required triage field)", summary.quality,
         ("share_complete",)),
    ):
        add(f"<h3>{html.escape(title)}</h3>")
        add(table_html(frame, percent=pct_cols, empty=f"No data in {month.label}."))
    if not ratio.empty and not pd.isna(ratio.iloc[0]):
        add(f"<p class='note'>A complete handoff waited {ratio.iloc[0]:.2f}× as long as an incomplete one "
            f"(the framework claims about {insights.CLAIMED_RATIO:.2f}×).</p>")
    return parts


def _retrospective_section(src: DataSource, filters: Filters) -> list[str]:
    """The last full quarter: what targets the team met, and under what load."""
    parts: list[str] = []
    add = parts.append
    quarter = periods.last_quarter(src.as_of, src.policy.timezone)
    add(f"<h2>Quarterly retrospective, {html.escape(periods.quarter_label(quarter))}</h2>")
    add(table_html(insights.retrospective(src, filters, quarter), percent=("met_share",)))
    add(table_html(insights.capacity(src, filters, quarter), empty="No tickets created in the quarter."))
    return parts


def _feedback_section(src: DataSource, filters: Filters, month: _Month, feedback_db: Optional[PathLike], today: date) -> list[str]:
    """Open action items, incidents without a review and severity validation, from the store."""
    parts: list[str] = []
    add = parts.append
    add("<h2>Feedback loops</h2>")
    if feedback_db is None or not Path(feedback_db).is_file():
        add("<p class='empty'>No feedback store: post-incident reviews and action items live in the "
            "persistent store (--db or --feedback-db).</p>")
    else:
        open_items = feedback.action_items(feedback_db, open_only=True, today=today)
        add(f"<h3>Open action items ({len(open_items)}; {int(open_items['overdue'].sum())} overdue on {today})</h3>")
        add(table_html(open_items, empty="No open action items."))
        missing = feedback_loops.incidents_without_review(src, filters, feedback_db)
        add(f"<h3>Critical incidents of {html.escape(month.label)} without a review ({len(missing)})</h3>")
        add(table_html(missing, empty="Every critical incident of the month has a review."))
        checked = feedback.validations(feedback_db)
        add("<h3>Severity validation: assessed (rows) vs validated (columns)</h3>")
        add(table_html(feedback_loops.confusion_matrix(checked).reset_index()))
    return parts


def build_report(
    src: DataSource,
    filters: Filters,
    *,
    feedback_db: Optional[PathLike] = None,
    today: Optional[date] = None,
) -> str:
    """The report of `filters.period` (segment / team / tier filters apply too) as one HTML document.

    `feedback_db` is the store holding reviews and action items; None leaves
    those sections saying that no store was given.
    """
    if filters.period is None:
        raise ValueError("the report needs a month (filters.period)")
    label = month_label(filters.period)
    so_far = src.month_choice(filters.period).days_so_far
    if so_far is not None:  # a month in progress says so wherever it is compared with a whole one
        label += f" ({so_far} day{'s' if so_far != 1 else ''} so far)"
    month = _Month(label, month_label(shift_month(filters.period, -1)))
    tz = src.policy.timezone
    today = today or src.as_of.astimezone(src.policy.zone).date()
    scope = ", ".join(f"{k} {v}" for k, v in (("segment", filters.segment), ("owner team", filters.owner_team),
                                                ("tier", filters.tier)) if v) or "all tickets"
    parts = [
        *_adherence_section(src, filters, month),
        *_charts_section(src, filters),
        *_breached_section(src, filters, month),
        *_beyond_section(src, filters, month),
        *_retrospective_section(src, filters),
        *_feedback_section(src, filters, month, feedback_db, today),
    ]
    title = f"SLA review {month.label}"
    meta = (f"{src.label} · {src.tickets:,} tickets · {scope} · clocks judged at "
            f"{src.as_of.astimezone(src.policy.zone):%Y-%m-%d %H:%M} ({tz}) · months in {tz}")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{html.escape(title)}</h1><p class='meta'>{html.escape(meta)}</p>"
        + "".join(parts)
        + "</body></html>"
    )


def report_bytes(src: DataSource, filters: Filters, *, feedback_db: Optional[PathLike] = None) -> bytes:
    """The report as UTF-8 bytes, for the app's download button."""
    return build_report(src, filters, feedback_db=feedback_db).encode("utf-8")


def write_report(
    src: DataSource, filters: Filters, out: PathLike, *, feedback_db: Optional[PathLike] = None
) -> Path:
    """Write the report file; returns its path."""
    path = Path(out)
    path.write_bytes(report_bytes(src, filters, feedback_db=feedback_db))
    return path


def report_filename(filters: Filters) -> str:
    return f"sla_review_{month_label(filters.period)}.html"  # type: ignore[arg-type]


__all__: list[str] = [
    "build_report",
    "report_bytes",
    "report_filename",
    "table_html",
    "write_report",
]
