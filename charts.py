"""The Review page's figures, drawn from the small frames sla_core.review returns.

Built with plotly.graph_objects rather than plotly.express: express spends
0.1-0.3 s per figure on this machine, which a filter change would pay every
time. Colours are mid-tones that read on Streamlit's light and dark themes;
everything else (background, fonts, grid) is left to the Streamlit theme.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from sla_core.schema import METRICS, TIERS

TIER_COLORS = {"critical": "#e0484d", "high": "#f08c2e", "medium": "#3d8bd9", "low": "#9b8fd6"}
OUTCOME_COLORS = {"met": "#2e9d5b", "breached": "#e0484d"}


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Adherence per month: one panel per metric, one line per tier."""
    metrics = [m for m in METRICS if m in set(trend["metric"])]
    fig = make_subplots(rows=1, cols=len(metrics), shared_yaxes=True, subplot_titles=metrics,
                        horizontal_spacing=0.04)
    for col, metric in enumerate(metrics, start=1):
        for tier in TIERS:
            rows = trend[(trend["metric"] == metric) & (trend["tier"] == tier)]
            if rows.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=rows["month"], y=rows["adherence"], mode="lines+markers", name=tier, legendgroup=tier,
                    showlegend=col == 1, line={"color": TIER_COLORS[tier]},
                    customdata=rows[["met", "breached"]],
                    hovertemplate="%{x|%Y-%m}: %{y:.1%}<br>met %{customdata[0]}, breached %{customdata[1]}",
                ),
                row=1, col=col,
            )
    fig.update_yaxes(tickformat=".0%")
    fig.update_layout(height=320, margin={"t": 40, "b": 10}, legend_title_text="tier")
    return fig


def distribution_figure(dist: pd.DataFrame, edge: float, x_title: str) -> go.Figure:
    """Histogram of elapsed minutes, met and breached stacked, values past `edge` drawn at the edge."""
    fig = go.Figure(
        [
            go.Histogram(
                x=dist.loc[dist["state"] == state, "elapsed_minutes"].clip(upper=edge), name=state,
                marker={"color": OUTCOME_COLORS[state]}, xbins={"start": 0, "end": edge * 1.0001, "size": edge / 40},
            )
            for state in ("met", "breached")
        ]
    )
    for target in sorted(dist["target_minutes"].dropna().unique()):
        fig.add_vline(x=target, line_dash="dash", annotation_text=f"target {target:g} min")
    fig.update_layout(barmode="stack", height=300, margin={"t": 30, "b": 10}, bargap=0.05,
                      xaxis_title=x_title, yaxis_title="clocks", legend_title_text="state")
    return fig


def team_figure(teams: pd.DataFrame) -> go.Figure:
    """Breached clocks per owner team, one bar per metric."""
    fig = go.Figure(
        [
            go.Bar(x=rows["owner_team"], y=rows["breached"], name=metric)
            for metric in METRICS
            if not (rows := teams[teams["metric"] == metric]).empty
        ]
    )
    fig.update_layout(barmode="group", height=280, margin={"t": 10, "b": 10}, yaxis_title="breached",
                      legend_title_text="metric")
    return fig
