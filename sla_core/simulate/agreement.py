"""Rubric agreement: how the current rubric's tiers agree with the impacts people assigned.

Shown apart from the candidate's moves: the current side keeps the assigned
tiers, so a disagreement here is a calibration question for the rubric, not
a ticket that moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd

from sla_core.simulate.replay import Replay
from sla_core.vocab import FACTORS, TIERS


@dataclass(frozen=True)
class Calibration:
    matrix: pd.DataFrame  # assigned impact (rows) x current rubric tier (columns), ticket counts
    disagreements: pd.DataFrame  # the tickets off the diagonal, with score and contributions
    compared: int  # tickets with both an impact and rubric inputs
    agreeing: int

    @property
    def agreement(self) -> Optional[float]:
        return self.agreeing / self.compared if self.compared else None


def calibration(replay: Replay, limit: int = 1000) -> Calibration:
    """How the current rubric agrees with the impacts people assigned, over the replay's tickets.

    It depends on the replay only, so it is computed once per replay and limit.
    """
    known: dict[int, Calibration] = replay.__dict__.setdefault("_calibrations", {})
    if limit not in known:
        known[limit] = _calibration(replay, limit)
    return known[limit]


def _agreement_rows(replay: Replay) -> str:
    """SQL: the replay's tickets with both an assigned impact and rubric inputs, with the current rubric's verdict."""
    return (
        "SELECT k.ticket_id, k.created_at, k.segment, k.impact, p.rubric_tier, p.rubric_score, p.hard_rule, "
        + ", ".join(f"p.contrib_{f}" for f in FACTORS)
        + f" FROM {replay.profiled_tickets} k JOIN {replay.profile_scores} p USING (profile_id) WHERE k.impact IS NOT NULL"
    )


def agreement_tickets(replay: Replay, impact: str, rubric_tier: str, limit: int = 500) -> pd.DataFrame:
    """The tickets behind one cell of the rubric agreement matrix (assigned impact x current rubric tier)."""
    return replay.con.cursor().execute(
        f"SELECT * FROM ({_agreement_rows(replay)}) WHERE impact = ? AND rubric_tier = ? "
        "ORDER BY created_at DESC, ticket_id LIMIT ?",
        [impact, rubric_tier, int(limit)],
    ).df()


def _calibration(replay: Replay, limit: int) -> Calibration:
    cur = replay.con.cursor()
    base = _agreement_rows(replay)
    long = cur.execute(f"SELECT impact, rubric_tier, count(*) AS tickets FROM ({base}) GROUP BY ALL").df()
    matrix = long.pivot_table(index="impact", columns="rubric_tier", values="tickets", aggfunc="sum", fill_value=0)
    matrix = matrix.reindex(index=list(TIERS), columns=list(TIERS), fill_value=0).astype("int64")
    matrix.index.name, matrix.columns.name = "assigned impact", "current rubric tier"
    off = cur.execute(
        f"SELECT * FROM ({base}) WHERE impact <> rubric_tier ORDER BY created_at DESC, ticket_id LIMIT ?", [int(limit)]
    ).df()
    compared = int(long["tickets"].sum()) if not long.empty else 0
    agreeing = int(matrix.to_numpy().trace())  # rows and columns are both TIERS, in order
    return Calibration(matrix=matrix, disagreements=off, compared=compared, agreeing=agreeing)
