"""What this data can tell: each figure present, partly present or absent, counted by hand on small files."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from sla_core.analysis.coverage import coverage, coverage_frame, missing
from sla_core.policy import Policy, load_policy
from sla_core.sources import upload_source
from sla_core.vocab import DEFAULT_POLICY

AS_OF = datetime(2026, 12, 3, 10, 36, tzinfo=timezone.utc)

# Four tickets, no events: T1 and T2 are critical incidents, T3 and T4 low. Three are resolved (T1, T2, T3).
# csat on T1 only; owner_team on T1-T3 (T3's team "Billing Ops" matches no discipline); started_at + source
# on T1 (customer: needs no detected_at) and T2 (monitoring without detected_at: not timed).
TICKETS = """ticket_id,created_at,impact,resolved_at,csat,owner_team,started_at,source,reopen_count
T1,2026-11-02T09:00:00Z,critical,2026-11-02T12:00:00Z,4,engineering,2026-11-02T08:00:00Z,customer,0
T2,2026-11-03T09:00:00Z,critical,2026-11-03T12:00:00Z,,support,2026-11-03T08:00:00Z,monitoring,
T3,2026-11-04T09:00:00Z,low,2026-11-04T12:00:00Z,,Billing Ops,,,1
T4,2026-10-30T09:00:00Z,low,,,,,,
"""


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_policy(DEFAULT_POLICY)


@pytest.fixture(scope="module")
def found(tmp_path_factory: pytest.TempPathFactory, policy: Policy) -> dict[str, object]:
    path: Path = tmp_path_factory.mktemp("coverage") / "tickets.csv"
    path.write_text(TICKETS, encoding="utf-8")
    src = upload_source(path, None, policy, label="four tickets", as_of=AS_OF)
    return {"all": {c.figure: c for c in coverage(src)}, "nov": {c.figure: c for c in coverage(src, date(2026, 11, 1))}}


def test_a_stop_column_the_file_lacks_is_absent_and_says_which_column(found) -> None:  # noqa: ANN001
    every = found["all"]
    ack, plan, fix = every["Acknowledge clock"], every["Action plan clock"], every["Resolution clock"]
    assert (ack.status, ack.tickets, ack.holding) == ("absent", 4, 0)
    assert "`acknowledged_at`" in ack.fill and "untimed" in ack.fill
    assert plan.status == "absent"
    assert (fix.status, fix.holding) == ("present", 4)  # the column is there: open tickets are measured, running
    assert missing(list(every.values()), "Acknowledge clock") is ack
    assert missing(list(every.values()), "Resolution clock") is None


def test_history_figures_are_absent_without_events(found) -> None:  # noqa: ANN001
    every = found["all"]
    assert every["Pauses (waiting on the customer or a vendor)"].status == "absent"
    assert every["Handoffs and time with each owner"].status == "absent"
    # reopen_count is given on T1 and T3 of the three resolved tickets
    reopen = every["Reopen rate"]
    assert (reopen.status, reopen.tickets, reopen.holding) == ("partly", 3, 2)


def test_partly_present_figures_give_their_share(found) -> None:  # noqa: ANN001
    every = found["all"]
    csat = every["CSAT after incidents (ratings)"]
    assert (csat.status, csat.tickets, csat.holding) == ("partly", 3, 1)
    assert csat.share == pytest.approx(1 / 3)
    team = every["Who owned the fix (team)"]
    assert (team.tickets, team.holding) == (4, 3)
    discipline = every["Who owned the fix (discipline)"]  # of the 3 with a team, Billing Ops rolls up to nothing
    assert (discipline.status, discipline.tickets, discipline.holding) == ("partly", 3, 2)
    assert "`disciplines`" in discipline.fill
    # incidents T1, T2, both with a start: T2 came from monitoring without detected_at, so the ticket's
    # creation is when monitoring saw it (incidents.py)
    detect = every["Time to detect"]
    assert (detect.tickets, detect.holding) == (2, 2)
    customers = every["CSAT after incidents (customers hit)"]
    assert (customers.status, customers.tickets) == ("absent", 2)


def test_a_month_narrows_to_the_tickets_created_in_it(found) -> None:  # noqa: ANN001
    nov = found["nov"]
    assert nov["Acknowledge clock"].tickets == 3  # T4 was created in October
    assert (nov["Who owned the fix (team)"].tickets, nov["Who owned the fix (team)"].holding) == (3, 3)
    assert nov["Who owned the fix (team)"].status == "present"


def test_the_frame_says_how_to_fill_only_what_is_missing(found) -> None:  # noqa: ANN001
    frame = coverage_frame(list(found["nov"].values())).set_index("figure")
    assert frame.loc["Who owned the fix (team)", "to fill it"] == ""
    assert "`acknowledged_at`" in frame.loc["Acknowledge clock", "to fill it"]
    assert set(frame.status) <= {"present", "partly", "absent", "nothing to judge"}


def test_the_sample_measures_every_clock(policy: Policy) -> None:
    from sla_core.sources import sample_source

    src = sample_source(policy, AS_OF)
    every = {c.figure: c for c in coverage(src, src.default_period)}
    for figure in ("Acknowledge clock", "Action plan clock", "Resolution clock", "Who owned the fix (team)",
                   "Pauses (waiting on the customer or a vendor)", "Handoffs and time with each owner"):
        assert every[figure].status == "present", figure
    rated = src.con.execute(
        "SELECT count(*) FILTER (WHERE csat IS NOT NULL), count(*) FROM tickets WHERE resolved_at IS NOT NULL "
        "AND created_at >= TIMESTAMPTZ '2026-11-01 00:00:00+00' AND created_at < TIMESTAMPTZ '2026-12-01 00:00:00+00'"
    ).fetchone()
    csat = every["CSAT after incidents (ratings)"]
    assert (csat.holding, csat.tickets) == rated  # November is on GMT: local month = UTC month


def test_a_policy_that_requires_no_triage_field_has_no_triage_figure(tmp_path: Path) -> None:
    """The real ServiceNow policy names no `triage_required`: the figures are read all the same (the triage
    parameter was once passed to a query that no longer named it, and the Review could not be drawn)."""
    from tests.conftest import make_policy

    path = tmp_path / "tickets.csv"
    path.write_text(TICKETS, encoding="utf-8")
    src = upload_source(path, None, make_policy(), label="no triage", as_of=AS_OF)
    found = {c.figure: c for c in coverage(src, date(2026, 11, 1))}
    assert "Triage fields" not in found and found["Acknowledge clock"].tickets == 3
