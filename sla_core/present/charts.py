"""The Review page's figures, drawn from the small frames sla_core.analysis.review returns.

Built with plotly.graph_objects rather than plotly.express: express spends
0.1-0.3 s per figure on this machine, which a filter change would pay every
time. Colours are mid-tones that read on Streamlit's light and dark themes;
everything else (background, fonts, grid) is left to the Streamlit theme.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sla_core.vocab import METRICS, TIERS

TIER_COLORS = {"critical": "#e0484d", "high": "#f08c2e", "medium": "#3d8bd9", "low": "#9b8fd6"}
OUTCOME_COLORS = {"met": "#2e9d5b", "breached": "#e0484d"}
TARGET_COLOR = "#9aa0a6"  # plotly's default shape colour (#444) vanishes on the dark theme


def _count_ticks(largest: int) -> dict:
    """Whole-number ticks for small counts (plotly would label 0.5 clocks)."""
    return {"dtick": 1, "tick0": 0} if largest <= 8 else {}


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    """Adherence per month: one panel per metric (side by side, one y axis), one line per tier."""
    metrics = [m for m in METRICS if m in set(trend["metric"])]
    months = pd.to_datetime(pd.Series(trend["month"].unique())).sort_values()
    # Month ticks, never hours: a single month would otherwise be labelled down to the minute.
    x_axis: dict = {"type": "date", "tickformat": "%b %Y", "dtick": "M1" if len(months) <= 5 else "M3"}
    if len(months) == 1:
        x_axis["range"] = [months.iloc[0] - pd.Timedelta(days=20), months.iloc[0] + pd.Timedelta(days=20)]
    gap, width = 0.04, (1 - 0.04 * (len(metrics) - 1)) / max(len(metrics), 1)
    traces, layout = [], {}
    for i, metric in enumerate(metrics):
        axis = "" if i == 0 else str(i + 1)
        start = i * (width + gap)
        layout[f"xaxis{axis}"] = {**x_axis, "domain": [start, start + width], "anchor": "y"}
        layout.setdefault("annotations", []).append(
            {"text": metric, "x": start + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "center", "yanchor": "bottom", "showarrow": False}
        )
        for tier in TIERS:
            rows = trend[(trend["metric"] == metric) & (trend["tier"] == tier)]
            if rows.empty:
                continue
            traces.append(go.Scatter(
                x=rows["month"], y=rows["adherence"], xaxis=f"x{axis}", yaxis="y", mode="lines+markers",
                name=tier, legendgroup=tier, showlegend=not any(t.name == tier for t in traces),
                line={"color": TIER_COLORS[tier]}, customdata=rows[["met", "breached"]],
                hovertemplate="%{x|%Y-%m}: %{y:.1%}<br>met %{customdata[0]}, breached %{customdata[1]}",
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
            go.Bar(x=rows["owner_team"], y=rows["breached"], name=metric)
            for metric in METRICS
            if not (rows := teams[teams["metric"] == metric]).empty
        ]
    )
    fig.update_layout(barmode="group", height=280, margin={"t": 10, "b": 10}, legend_title_text="metric",
                      yaxis={"title": {"text": "breached"}, **_count_ticks(int(teams["breached"].max() or 0))})
    return fig
