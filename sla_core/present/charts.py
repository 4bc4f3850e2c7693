"""The Review page's figures, drawn from the small frames sla_core.analysis.review returns.

Built with plotly.graph_objects rather than plotly.express: express spends
0.1-0.3 s per figure on this machine, which a filter change would pay every
time. Colours are mid-tones that read on Streamlit's light and dark themes;
everything else (background, fonts, grid) is left to the Streamlit theme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sla_core.analysis import insights, review
from sla_core.analysis.filters import Filters
from sla_core.periods import month_label
from sla_core.present import words
from sla_core.sources import DataSource
from sla_core.vocab import METRICS, TIERS, Tier

TIER_COLORS = {"critical": "#e0484d", "high": "#f08c2e", "medium": "#3d8bd9", "low": "#9b8fd6"}
OUTCOME_COLORS = {"met": "#2e9d5b", "breached": "#e0484d"}
METRIC_COLORS = {"acknowledge": "#3d8bd9", "action_plan": "#8ec5f0", "resolution": "#e0484d"}
PAIR_COLORS = ("#3d8bd9", "#f08c2e")  # two series side by side: median and 90th percentile, ...
TARGET_COLOR = "#9aa0a6"  # plotly's default shape colour (#444) vanishes on the dark theme
CHART_HEIGHT = 360
AXES = {"automargin": True, "title": {"standoff": 12}}  # labels never clipped, titles clear of the ticks


@dataclass(frozen=True)
class Chart:
    """A titled figure; `key` is stable so the app, the report and the tests can name it."""

    key: str
    title: str
    figure: go.Figure


def plain(values: pd.Series) -> pd.Series:
    """Labels from data as Plotly's text: Plotly reads a subset of HTML in every label (axis ticks, legend,
    hover, annotations), so a team named `<a href=…>` would be a live link and `<b>x</b>` bold. Escaped, it is
    shown as typed, in the app and in the report alike."""
    return values.map(lambda v: v if not isinstance(v, str) else
                      v.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def _layout(fig: go.Figure, height: int = CHART_HEIGHT) -> go.Figure:
    fig.update_layout(height=height, margin={"t": 40, "b": 10, "l": 10, "r": 10})
    fig.update_xaxes(**AXES)
    fig.update_yaxes(**AXES)
    return fig


def _count_ticks(largest: int) -> dict:
    """Whole-number ticks for small counts (plotly would label 0.5 clocks)."""
    return {"dtick": 1, "tick0": 0} if largest <= 8 else {}


def trend_figure(trend: pd.DataFrame, goals: Mapping[Tier, float] = {}) -> go.Figure:
    """Adherence per month: one panel per metric (side by side, one y axis), one line per tier, and the tier's
    goal (the policy's `goals`) as a dotted line in its colour."""
    metrics = [m for m in METRICS if m in set(trend["metric"])]
    months = pd.to_datetime(pd.Series(trend["month"].unique())).sort_values()
    # Month ticks, never hours: a single month would otherwise be labelled down to the minute.
    x_axis: dict = {"type": "date", "tickformat": "%b %Y", "dtick": "M1" if len(months) <= 5 else "M3"}
    if len(months) == 1:
        x_axis["range"] = [months.iloc[0] - pd.Timedelta(days=20), months.iloc[0] + pd.Timedelta(days=20)]
    gap, width = 0.04, (1 - 0.04 * (len(metrics) - 1)) / max(len(metrics), 1)
    traces: list[go.Scatter] = []
    layout: dict[str, Any] = {"annotations": []}
    for i, metric in enumerate(metrics):
        axis = "" if i == 0 else str(i + 1)
        start = i * (width + gap)
        layout[f"xaxis{axis}"] = {**x_axis, "domain": [start, start + width], "anchor": "y"}
        layout["annotations"].append(
            {"text": words.value(metric), "x": start + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "center", "yanchor": "bottom", "showarrow": False}
        )
        for tier in TIERS:
            rows = trend[(trend["metric"] == metric) & (trend["tier"] == tier)]
            if rows["adherence"].isna().all():
                continue  # a month without (enough) clocks is a gap in its line, never a point
            traces.append(go.Scatter(
                x=rows["month"], y=rows["adherence"], xaxis=f"x{axis}", yaxis="y", mode="lines+markers",
                name=tier, legendgroup=tier, showlegend=not any(t.name == tier for t in traces),
                line={"color": TIER_COLORS[tier]}, customdata=rows[["met", "breached"]],
                hovertemplate="%{x|%Y-%m}: %{y:.1%}<br>met %{customdata[0]}, breached %{customdata[1]}",
            ))
            if tier in goals:
                traces.append(go.Scatter(
                    x=[months.iloc[0], months.iloc[-1]], y=[goals[tier]] * 2, xaxis=f"x{axis}", yaxis="y",
                    mode="lines", name=f"{tier} goal", legendgroup=tier, showlegend=False,
                    line={"color": TIER_COLORS[tier], "dash": "dot", "width": 1},
                    hovertemplate=f"{tier} goal: {goals[tier]:.0%}<extra></extra>",
                ))
    return go.Figure(traces, layout={
        **layout, "yaxis": {"tickformat": ".0%"}, "height": 320, "margin": {"t": 40, "b": 10},
        "legend": {"title": {"text": "tier"}},
    })


def distribution_figure(dist: pd.DataFrame, edge: float, x_title: str) -> go.Figure:
    """Histogram of elapsed minutes, met and breached stacked, values past `edge` drawn at the edge."""
    targets = sorted(dist["target_minutes"].dropna().unique())
    tallest = int(np.histogram(dist["elapsed_minutes"].clip(upper=edge), bins=40, range=(0, edge * 1.0001))[0].max())
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": t, "x1": t, "y0": 0, "y1": 1,
               "line": {"dash": "dash", "width": 2, "color": TARGET_COLOR}} for t in targets]
    notes = [{"text": f"target {t:g} min", "x": t, "y": 1, "xref": "x", "yref": "paper", "xanchor": "left",
              "yanchor": "bottom", "showarrow": False} for t in targets]
    return go.Figure(
        [
            go.Histogram(
                x=dist.loc[dist["state"] == state, "elapsed_minutes"].clip(upper=edge), name=state,
                marker={"color": OUTCOME_COLORS[state]}, xbins={"start": 0, "end": edge * 1.0001, "size": edge / 40},
            )
            for state in ("met", "breached")
        ],
        layout={
            "barmode": "stack", "height": 300, "margin": {"t": 30, "b": 10}, "bargap": 0.05, "shapes": shapes,
            "annotations": notes, "xaxis": {"title": {"text": x_title}},
            "yaxis": {"title": {"text": "clocks"}, **_count_ticks(tallest)},
            "legend": {"title": {"text": "state"}},
        },
    )


def team_figure(teams: pd.DataFrame) -> go.Figure:
    """Breached clocks per owner team, one bar per metric."""
    fig = go.Figure(
        [
            go.Bar(x=plain(rows["owner_team"]), y=rows["breached"], name=words.value(metric),
                   marker={"color": METRIC_COLORS[metric]})
            for metric in METRICS
            if not (rows := teams[teams["metric"] == metric]).empty
        ]
    )
    fig.update_layout(barmode="group", height=280, margin={"t": 10, "b": 10}, legend_title_text="clock",
                      yaxis={"title": {"text": "clocks breached"}, **_count_ticks(int(teams["breached"].max() or 0))})
    return fig


def distribution_edge(dist: pd.DataFrame) -> float:
    """Where a distribution's x axis ends: three targets, or further when a tenth of the clocks ran longer."""
    return max(3 * float(dist["target_minutes"].max()), float(dist["elapsed_minutes"].quantile(0.9)))


def _bars(frame: pd.DataFrame, x: str, series: dict[str, str], y_title: str) -> go.Figure:
    """Grouped bars: one trace per column of `series` ({column: legend name})."""
    fig = go.Figure([
        go.Bar(x=plain(frame[x]), y=frame[col], name=name, marker={"color": color})
        for (col, name), color in zip(series.items(), PAIR_COLORS * 2)
    ])
    fig.update_layout(barmode="group", yaxis_title=y_title, xaxis_title=x.replace("_", " "))
    return _layout(fig)


def _tier_lines(frame: pd.DataFrame, y: str, extra: tuple[str, str]) -> go.Figure:
    fig = go.Figure()
    for tier in TIERS:
        rows = frame[frame["tier"] == tier]
        if rows.empty:
            continue
        fig.add_trace(go.Scatter(
            x=rows["month"], y=rows[y], mode="lines+markers", name=tier, line={"color": TIER_COLORS[tier]},
            customdata=rows[list(extra)],
            hovertemplate=f"%{{x|%Y-%m}}: %{{y:.1%}}<br>{extra[0]} %{{customdata[0]}}, {extra[1]} %{{customdata[1]}}",
        ))
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(legend_title_text="tier")
    return fig


def review_charts(src: DataSource, filters: Filters) -> list[Chart]:
    """The Review's charts for the filtered month: trend, response-time distributions, breaches by team."""
    month = month_label(filters.period)  # type: ignore[arg-type]
    charts: list[Chart] = []
    trend = review.adherence_trend(src, filters)
    if not trend.empty:
        charts.append(Chart("adherence_trend", "Adherence trend, last 12 months", _layout(trend_figure(trend, src.policy.goals), 320)))
    tier = review.distribution_tier(filters)
    for metric in ("acknowledge", "action_plan"):
        dist = review.elapsed_distribution(src, filters, metric)
        if dist.empty:
            continue
        edge = distribution_edge(dist)
        figure = distribution_figure(dist, edge, f"time to {metric.replace('_', ' ')} (minutes)")
        charts.append(Chart(f"dist_{metric}", f"Time to {metric.replace('_', ' ')}, {tier} tickets, {month}",
                            _layout(figure, 300)))
    teams = review.breaches_by_team(src, filters)
    if not teams.empty:
        charts.append(Chart("breaches_by_team", f"Breaches by owner team, {month}", _layout(team_figure(teams), 300)))
    return charts


def insight_charts(summary: insights.Summary) -> list[Chart]:
    """One chart per systemic metric that has data in the period."""
    charts: list[Chart] = []
    if not summary.resolution.empty:
        charts.append(Chart("resolution_by_team", "Time to definitive resolution by owner team", _bars(
            summary.resolution, "owner_team", {"median_hours": "median", "p90_hours": "90th percentile"},
            "hours (wall-clock)")))
    if not summary.owners.empty:
        charts.append(Chart("owner_time", "Time spent with each owner", _bars(
            summary.owners, "owner", {"total_hours": "ticket-hours"}, "ticket-hours with this owner")))
    if not summary.waits.empty:
        charts.append(Chart("handoff_waits", "Wait after a handoff, by receiving team", _bars(
            summary.waits, "to_owner", {"median_wait_hours": "median", "p90_wait_hours": "90th percentile"},
            "hours from handoff to first action")))
    if not summary.reopen_trend.empty:
        fig = _tier_lines(summary.reopen_trend, "reopen_rate", ("resolved", "reopened"))
        fig.update_layout(yaxis_title="reopen rate")
        charts.append(Chart("reopen_trend", "Reopen rate per tier, last 12 months", _layout(fig)))
    if not summary.detect.empty:
        charts.append(Chart("time_to_detect", "Time to detect: monitoring vs customer reports", _bars(
            summary.detect, "first_seen", {"median_minutes": "median", "p90_minutes": "90th percentile"},
            "minutes from start to detection")))
    if not summary.satisfaction.empty:
        charts.append(Chart("satisfaction_cohorts", "NPS before and after critical incidents", _bars(
            summary.satisfaction, "group", {"nps_before": "before", "nps_after": "after"},
            "NPS (% promoters − % detractors)")))
    if not summary.csat.empty:
        fig = _bars(summary.csat, "group", {"csat_mean": "mean CSAT"}, "mean CSAT (1-5)")
        fig.update_yaxes(range=[0, 5])
        charts.append(Chart("csat_after_incidents", "CSAT: customers hit by critical/high incidents vs others", fig))
    if not summary.quality.empty:
        charts.append(Chart("handoff_quality", "Time to action plan with vs without a complete handoff", _bars(
            summary.quality, "tier",
            {"plan_hours_complete": "complete handoff", "plan_hours_incomplete": "incomplete"},
            "median time to action plan (SLA clock hours)")))
    return charts


def on_call_figure(load: pd.DataFrame, capacity: int) -> go.Figure:
    """On-call tickets per ISO week, current vs candidate; the candidate's weeks over capacity in red."""
    fig = go.Figure()
    fig.add_bar(x=load["iso_week"], y=load["current"], name="current", marker_color="#8da0cb")
    fig.add_bar(x=load["iso_week"], y=load["candidate"], name="candidate",
                marker_color=[OUTCOME_COLORS["breached"] if over else PAIR_COLORS[0] for over in load["over_candidate"]])
    fig.add_hline(y=capacity, line_dash="dash", line_color=TARGET_COLOR, annotation_text=f"capacity {capacity}")
    fig.update_layout(barmode="group", xaxis_title="ISO week", yaxis_title="tickets")
    return _layout(fig, 320)
