"""The sample's signals and survey answers, drawn in SQL from its tickets, so detection and the NPS cohorts
have data wherever the sample is shown.

Signals: one alert per incident of record (`incident_ref` "INC-<n>", see draws.py): a monitoring-first
incident's alert fired at the ticket's detection and knows when the problem began; a customer-first one's
alert fired 10-90 minutes after the customer wrote and knows no start. Survey answers: every account answers
an NPS survey about every other month and a CSAT pulse most months; an account hit by a critical incident in
the 45 days before answers lower. Pseudo-random numbers are hashes of the row and the seed: same seed, same data.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from sla_core.columns import SIGNAL_COLUMNS, SURVEY_COLUMNS, table_ddl

TOOLS = ("pagerduty", "datadog", "opsgenie", "sentry")
SERVICES = ("checkout", "api-gateway", "billing", "search", "auth", "sync")
SYMPTOMS = ("error rate above 5%", "p95 latency above 2 s", "5xx spike", "queue backlog growing", "health check failing")
HIT_DAYS = 45  # an answer this soon after a critical incident of the account is a hurt one


def _uniform(*parts: str) -> str:
    """SQL: a number in [0, 1) from a hash of the parts and $seed."""
    return f"(hash({', '.join(parts)}, $seed) % 1000000) / 1000000.0"


def add_signals_and_surveys(con: duckdb.DuckDBPyConnection, as_of: datetime, seed: int = 7) -> tuple[int, int]:
    """Fill `signals` and `surveys` (replacing them) from `tickets` as they stand at `as_of`; their row counts."""
    con.execute(table_ddl("signals", SIGNAL_COLUMNS, replace=True))
    con.execute(table_ddl("surveys", SURVEY_COLUMNS, replace=True))
    params = {"seed": seed, "as_of": as_of, "tools": list(TOOLS), "services": list(SERVICES),
              "symptoms": list(SYMPTOMS)}
    con.execute(
        f"""INSERT INTO signals
        WITH origin AS (
            SELECT *, source = 'monitoring' AS monitored FROM tickets
            WHERE incident_ref = 'INC-' || substr(ticket_id, 3)
        ), drawn AS (
            SELECT *,
                   CASE WHEN monitored THEN detected_at
                        ELSE created_at + to_minutes(CAST(10 + 80 * {_uniform('ticket_id', "'late'")} AS BIGINT))
                   END AS alert_at,
                   1 + CAST(floor(4 * {_uniform('ticket_id', "'tool'")}) AS INTEGER) AS tool,
                   1 + CAST(floor(6 * {_uniform('ticket_id', "'service'")}) AS INTEGER) AS service,
                   1 + CAST(floor(5 * {_uniform('ticket_id', "'symptom'")}) AS INTEGER) AS symptom
            FROM origin
        )
        SELECT 'SIG-' || substr(ticket_id, 3), $tools[tool], alert_at,
               CASE WHEN monitored THEN started_at END, NULL, incident_ref, $services[service],
               $services[service] || ': ' || $symptoms[symptom], impact,
               CASE WHEN resolved_at <= $as_of THEN resolved_at END
        FROM drawn WHERE alert_at <= $as_of""",
        params,
    )
    con.execute(
        f"""INSERT INTO surveys
        WITH accounts AS (
            SELECT account, any_value(segment) AS segment FROM tickets WHERE account IS NOT NULL GROUP BY account
        ), span AS (SELECT date_trunc('month', min(created_at)) AS first_month FROM tickets),
        slots AS (  -- every account, survey kind and month: maybe an answer, on a drawn day of the month
            SELECT a.account, a.segment, k.kind, k.rate,
                   first_month + to_months(CAST(m.month AS INTEGER))
                       + to_seconds(CAST(27 * 86400 * {_uniform('a.account', 'k.kind', 'm.month', "'day'")} AS BIGINT))
                       AS "at",
                   {_uniform('a.account', 'k.kind', 'm.month', "'take'")} AS take,
                   ({_uniform('a.account', 'k.kind', 'm.month', "'a'")}
                    + {_uniform('a.account', 'k.kind', 'm.month', "'b'")}
                    + {_uniform('a.account', 'k.kind', 'm.month', "'c'")} - 1.5) AS noise
            FROM accounts a, span, (VALUES ('nps', 0.45), ('csat', 0.7)) k(kind, rate), range(0, 14) m(month)
        )
        SELECT s.account, s."at", s.kind, CAST(CASE s.kind
                   WHEN 'nps' THEN least(10, greatest(0, round(
                       CASE s.segment WHEN 'enterprise' THEN 8.4 WHEN 'mid_market' THEN 8.0 ELSE 7.6 END
                       + 2.6 * s.noise - CASE WHEN hit THEN 3.0 ELSE 0 END)))
                   ELSE least(5, greatest(1, round(4.3 + 0.9 * s.noise - CASE WHEN hit THEN 1.3 ELSE 0 END)))
               END AS INTEGER)
        FROM (SELECT *, EXISTS (SELECT 1 FROM tickets t WHERE t.account = slots.account AND t.impact = 'critical'
                                 AND t.created_at < slots."at" AND t.created_at >= slots."at" - to_days({HIT_DAYS}))
                        AS hit
              FROM slots WHERE take < rate AND "at" <= $as_of) s
        ORDER BY s."at", s.account, s.kind""",
        {"seed": seed, "as_of": as_of},
    )
    counts = con.execute("SELECT (SELECT count(*) FROM signals), (SELECT count(*) FROM surveys)").fetchall()
    return int(counts[0][0]), int(counts[0][1])
