"""Every systemic metric's headline for one set of filters, computed once for a page or a report."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sla_core.analysis import incidents
from sla_core.analysis.filters import Filters
from sla_core.analysis.insights.csat import csat_after_incidents, csat_before_after
from sla_core.analysis.insights.owners import handoff_waits, owner_time, resolution_by_team
from sla_core.analysis.insights.reopens import reopen_rate, reopen_trend
from sla_core.analysis.insights.triage import handoff_quality
from sla_core.sources import DataSource


@dataclass(frozen=True)
class Summary:
    """Every metric's summary frame for one set of filters, computed once for a page or a report."""

    resolution: pd.DataFrame
    owners: pd.DataFrame
    waits: pd.DataFrame
    reopens: pd.DataFrame
    reopen_trend: pd.DataFrame
    detect: pd.DataFrame
    satisfaction: pd.DataFrame
    csat: pd.DataFrame
    cohort: pd.DataFrame
    quality: pd.DataFrame


def summarize(source: DataSource, filters: Filters) -> Summary:
    """Each headline once: the page draws them and caches the lot (ui.widgets.session_summary)."""
    return Summary(
        resolution=resolution_by_team(source, filters),
        owners=owner_time(source, filters),
        waits=handoff_waits(source, filters),
        reopens=reopen_rate(source, filters),
        reopen_trend=reopen_trend(source, filters),
        detect=incidents.time_to_detect(source, filters),
        satisfaction=incidents.satisfaction_cohorts(source, filters),
        csat=csat_after_incidents(source, filters),
        cohort=csat_before_after(source, filters),
        quality=handoff_quality(source, filters),
    )
