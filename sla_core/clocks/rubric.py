"""The prioritization rubric, scored in SQL over the whole tickets table.

score = sum(weight[f] * scale[f](value)) over the five factors; a factor
that is empty, or whose value the scale does not list, adds nothing. The
customers_affected scale is a step function ("at least N -> score"), read
with an ASOF join. Hard rules (`always_critical` severities) win over the
score. Scores are rounded to 9 decimals before the thresholds so that
0.35 + 0.40 lands on a 0.75 threshold instead of a float just below it.

Per-factor contributions are kept in the output so a reader can see which
factor moved a ticket's score.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from sla_core.policy import Rubric
from sla_core.sqlutil import load_frame
from sla_core.vocab import FACTORS, RUBRIC_INPUTS


def has_rubric_inputs_sql(alias: str = "") -> str:
    """SQL predicate: the ticket has at least one rubric input (segment alone does not count)."""
    prefix = f"{alias}." if alias else ""
    return "(" + " OR ".join(f"{prefix}{c} IS NOT NULL" for c in RUBRIC_INPUTS) + ")"


RUBRIC_COLUMNS = (
    "ticket_id VARCHAR, has_rubric_inputs BOOLEAN, rubric_score DOUBLE, rubric_tier VARCHAR, hard_rule BOOLEAN, "
    + ", ".join(f"contrib_{f} DOUBLE" for f in FACTORS)
)


def _scale_frames(rubric: Rubric) -> tuple[pd.DataFrame, pd.DataFrame]:
    keyed = [
        (factor, str(key).lower() if isinstance(key, bool) else str(key), float(score))
        for factor, scale in rubric.scales.items()
        if factor != "customers_affected"
        for key, score in scale.items()
    ]
    counts = [(int(k), float(v)) for k, v in rubric.scales.get("customers_affected", {}).items()]
    return (
        pd.DataFrame(keyed, columns=["factor", "key", "score"]).astype({"factor": str, "key": str, "score": float}),
        pd.DataFrame(sorted(counts), columns=["min_count", "score"]).astype({"min_count": "int64", "score": float}),
    )


def score_tickets(
    con: duckdb.DuckDBPyConnection, rubric: Rubric | None, tickets: str = "tickets", out: str = "rubric_scores"
) -> str:
    """Create temp table `out`: one row per ticket with its rubric score, tier and factor contributions.

    Tickets without any rubric input get NULL score and tier. With no rubric
    in the policy every ticket does.
    """
    if rubric is None:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {out} AS SELECT ticket_id, {has_rubric_inputs_sql()} AS has_rubric_inputs, "
            "NULL::DOUBLE AS rubric_score, NULL::VARCHAR AS rubric_tier, FALSE AS hard_rule, "
            + ", ".join(f"NULL::DOUBLE AS contrib_{f}" for f in FACTORS)
            + f" FROM {tickets}"
        )
        return out
    keyed, counts = _scale_frames(rubric)
    weights = [float(rubric.weights.get(f, 0.0)) for f in FACTORS]
    thresholds = [rubric.thresholds["critical"], rubric.thresholds["high"], rubric.thresholds["medium"]]
    load_frame(con, "_rubric_keyed", keyed, "factor VARCHAR, key VARCHAR, score DOUBLE")
    load_frame(con, "_rubric_counts", counts, "min_count BIGINT, score DOUBLE")
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {out} AS
        WITH parts AS (
            SELECT t.ticket_id,
                   {has_rubric_inputs_sql("t")} AS has_rubric_inputs,
                   list_contains(?::VARCHAR[], t.severity) AS hard_rule,
                   ? * coalesce(ca.score, 0) AS contrib_customers_affected,
                   ? * coalesce(seg.score, 0) AS contrib_segment,
                   ? * coalesce(sev.score, 0) AS contrib_severity,
                   ? * coalesce(reg.score, 0) AS contrib_regulatory,
                   ? * coalesce(wa.score, 0) AS contrib_workaround
            FROM {tickets} t
            ASOF LEFT JOIN _rubric_counts ca ON t.customers_affected >= ca.min_count
            LEFT JOIN _rubric_keyed seg ON seg.factor = 'segment' AND seg.key = t.segment
            LEFT JOIN _rubric_keyed sev ON sev.factor = 'severity' AND sev.key = t.severity
            LEFT JOIN _rubric_keyed reg ON reg.factor = 'regulatory' AND reg.key = lower(t.regulatory::VARCHAR)
            LEFT JOIN _rubric_keyed wa ON wa.factor = 'workaround' AND wa.key = lower(t.workaround::VARCHAR)
        ), scored AS (
            SELECT *, round(contrib_customers_affected + contrib_segment + contrib_severity
                            + contrib_regulatory + contrib_workaround, 9) AS score
            FROM parts
        )
        SELECT ticket_id, has_rubric_inputs,
               CASE WHEN has_rubric_inputs THEN score END AS rubric_score,
               CASE WHEN NOT has_rubric_inputs THEN NULL
                    WHEN coalesce(hard_rule, FALSE) OR score >= ? THEN 'critical'
                    WHEN score >= ? THEN 'high'
                    WHEN score >= ? THEN 'medium'
                    ELSE 'low' END AS rubric_tier,
               coalesce(hard_rule, FALSE) AND has_rubric_inputs AS hard_rule,
               {", ".join(f"contrib_{f}" for f in FACTORS)}
        FROM scored
        """,
        [list(rubric.always_critical), *weights, *thresholds],
    )
    return out
