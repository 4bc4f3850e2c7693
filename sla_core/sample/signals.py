"""The sample's signals, survey answers and deploys, drawn in SQL from its tickets, so detection, the NPS
cohorts and each incident's context have data wherever the sample is shown.

Signals: one alert per incident of record (`incident_ref` "INC-<n>", see draws.py): a monitoring-first
incident's alert fired at the ticket's detection and knows when the problem began; a customer-first one's
alert fired 10-90 minutes after the customer wrote and knows no start. Survey answers: every account answers
an NPS survey about every other month and a CSAT pulse most months; an account hit by a critical incident in
the 45 days before answers lower.

Deploys: each service ships on about half of the working days and now and then at a weekend, in working hours
(UTC), and nothing follows: most deploys are harmless. A share of the incidents of record (CULPRIT_SHARE) were
caused by one: a deploy of the incident's service 20 minutes to 4 hours before it started, followed by one to
three low-severity warnings of that service (`WRN-<n>-<k>`, no ticket, no incident) between the deploy and the
start: the error trend an incident's context shows. A routine deploy may also fall shortly before an incident
by chance, as it does in life: "preceded by a deploy" is not "caused by one".

Pseudo-random numbers are hashes of the row and the seed: same seed, same data.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from sla_core.columns import DEPLOY_COLUMNS, SIGNAL_COLUMNS, SURVEY_COLUMNS, table_ddl

TOOLS = ("pagerduty", "datadog", "opsgenie", "sentry")
SERVICES = ("checkout", "api-gateway", "billing", "search", "auth", "sync")
SYMPTOMS = ("error rate above 5%", "p95 latency above 2 s", "5xx spike", "queue backlog growing", "health check failing")
HIT_DAYS = 45  # an answer this soon after a critical incident of the account is a hurt one
# service -> the tool that deploys it (its position in SERVICES picks one).
DEPLOY_TOOLS = ("github", "argocd")
DEPLOY_RATE = {"weekday": 0.5, "weekend": 0.06}  # the chance a service ships on a given day
CULPRIT_SHARE = 0.3  # incidents of record a deploy of their service caused
WARNINGS = ("error rate above 1%", "p95 latency above 1 s", "retries climbing")


def _uniform(*parts: str) -> str:
    """SQL: a number in [0, 1) from a hash of the parts and $seed."""
    return f"(hash({', '.join(parts)}, $seed) % 1000000) / 1000000.0"


def add_signals_and_surveys(con: duckdb.DuckDBPyConnection, as_of: datetime, seed: int = 7) -> tuple[int, int, int]:
    """Fill `signals`, `surveys` and `deploys` (replacing them) from `tickets` as they stand at `as_of`; their row
    counts."""
    con.execute(table_ddl("signals", SIGNAL_COLUMNS, replace=True))
    con.execute(table_ddl("surveys", SURVEY_COLUMNS, replace=True))
    con.execute(table_ddl("deploys", DEPLOY_COLUMNS, replace=True))
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
    _add_deploys(con, as_of, seed)
    counts = con.execute("SELECT (SELECT count(*) FROM signals), (SELECT count(*) FROM surveys), "
                         "(SELECT count(*) FROM deploys)").fetchall()
    return int(counts[0][0]), int(counts[0][1]), int(counts[0][2])


def _add_deploys(con: duckdb.DuckDBPyConnection, as_of: datetime, seed: int) -> None:
    """`deploys` (routine ones, and the culprits of CULPRIT_SHARE of the incidents of record) and the culprits'
    warnings into `signals`, as the module docstring tells; `signals` already holds the incidents' alerts."""
    params = {"seed": seed, "as_of": as_of, "services": list(SERVICES), "tools": list(DEPLOY_TOOLS),
              "warnings": list(WARNINGS), "culprit": CULPRIT_SHARE}
    # The incidents of record with their service (their alert's) and when they started: the earliest instant
    # any of their tickets or signals knows, so a culprit lands before the start incidents.py works out.
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _culprits AS
        WITH incident AS (
            SELECT s.incident_ref, any_value(s.service) AS service,
                   least(min(t.started_at), min(t.created_at), min(s.detected_at), min(s.started_at)) AS start_at
            FROM signals s JOIN tickets t ON t.incident_ref = s.incident_ref
            GROUP BY s.incident_ref
        )
        SELECT incident_ref, service, start_at,
               start_at - to_seconds(CAST(60 * (20 + 220 * {_uniform('incident_ref', "'lead'")}) AS BIGINT))
                   AS deployed_at,
               1 + CAST(floor(3 * {_uniform('incident_ref', "'warnings'")}) AS INTEGER) AS warnings
        FROM incident WHERE {_uniform('incident_ref', "'culprit'")} < $culprit""",
        {k: params[k] for k in ("seed", "culprit")},
    )
    try:
        con.execute(
            f"""INSERT INTO deploys
            WITH span AS (SELECT CAST(min(created_at) AS DATE) AS first_day FROM tickets),
            days AS (SELECT first_day + CAST(d AS INTEGER) AS day FROM span, range(0, 400) r(d)),
            routine AS (
                SELECT s.service,
                       timezone('UTC', CAST(day AS TIMESTAMP))
                           + to_seconds(CAST(3600 * (9 + 9 * {_uniform('s.service', 'day', "'hour'")}) AS BIGINT))
                           AS deployed_at
                FROM days, (SELECT unnest($services) AS service) s
                WHERE {_uniform('s.service', 'day', "'ship'")}
                      < CASE WHEN isodow(day) <= 5 THEN {DEPLOY_RATE["weekday"]} ELSE {DEPLOY_RATE["weekend"]} END
            ), shipped AS (
                SELECT service, deployed_at FROM routine UNION ALL SELECT service, deployed_at FROM _culprits
            ), numbered AS (
                SELECT *, row_number() OVER (PARTITION BY service ORDER BY deployed_at) AS nth,
                       row_number() OVER (ORDER BY deployed_at, service) AS n
                FROM shipped WHERE deployed_at <= $as_of
            )
            SELECT 'DEP-' || lpad(CAST(n AS VARCHAR), 5, '0'), service, deployed_at,
                   '1.' || CAST(nth // 10 AS VARCHAR) || '.' || CAST(nth % 10 AS VARCHAR),
                   $tools[1 + (list_position($services, service) - 1) % len($tools)]
            FROM numbered ORDER BY n""",
            {k: params[k] for k in ("seed", "as_of", "services", "tools")},
        )
        con.execute(
            f"""INSERT INTO signals
            WITH warned AS (
                SELECT c.*, k.k,
                       deployed_at + to_seconds(CAST((epoch(start_at) - epoch(deployed_at)) * k.k / (warnings + 1.0)
                                                  AS BIGINT)) AS at_
                FROM _culprits c, range(1, 4) k(k) WHERE k.k <= warnings
            )
            SELECT 'WRN-' || substr(incident_ref, 5) || '-' || CAST(k AS VARCHAR), 'datadog', at_, NULL, NULL, NULL,
                   service,
                   service || ': ' || $warnings[1 + CAST(floor(3 * {_uniform('incident_ref', 'k', "'what'")}) AS INTEGER)],
                   'low', CASE WHEN at_ + INTERVAL 20 MINUTE <= $as_of THEN at_ + INTERVAL 20 MINUTE END
            FROM warned WHERE at_ <= $as_of""",
            {k: params[k] for k in ("seed", "as_of", "warnings")},
        )
    finally:
        con.execute("DROP TABLE IF EXISTS _culprits")
