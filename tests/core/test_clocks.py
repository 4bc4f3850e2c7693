"""Hand-computed clock cases. Each expectation is worked out in the comment above it.

The base policy (tests/conftest.py): Europe/London, business hours Mon-Fri
09:00-18:00, holidays 2026-12-25 and 2026-12-28; high = 2h acknowledge /
24h action plan on business hours; medium = 8h acknowledge (4h enterprise)
and 14d resolution on 24x7; critical = 30m / 2h on 24x7; low = 24h.
"""

from __future__ import annotations

import copy

from tests.conftest import BASE_POLICY, at, make_policy

H = 3600


def ticket(tid: str, created: str, impact: str = "high", **cols):
    return {"ticket_id": tid, "created_at": at(created), "impact": impact, **cols}


def test_ticket_opened_friday_evening_starts_counting_monday(run_engine):
    # Opened Fri 27 Nov 19:00, after closing. Nothing counts until Mon 30 Nov 09:00,
    # so the 2h acknowledge target is due Mon 11:00. Acknowledged Mon 10:30: 1.5h, met.
    r = run_engine([ticket("T", "2026-11-27 19:00", acknowledged_at=at("2026-11-30 10:30"))])
    ack = r[("T", "acknowledge")]
    assert ack["due_at"] == at("2026-11-30 11:00")
    assert ack["elapsed_seconds"] == 1.5 * H
    assert ack["state"] == "met"


def test_target_reached_exactly_at_closing_is_due_at_closing(run_engine):
    # Opened Fri 16:00, 2h target: 16:00-18:00 uses it up, so due Fri 18:00, not Mon 09:00.
    # Acknowledged at 18:00 exactly: met. Acknowledged Sat 10:00: the elapsed business time
    # is still exactly 2h, but it stopped after due_at, so it is breached.
    r = run_engine(
        [
            ticket("ON_TIME", "2026-11-27 16:00", acknowledged_at=at("2026-11-27 18:00")),
            ticket("SATURDAY", "2026-11-27 16:00", acknowledged_at=at("2026-11-28 10:00")),
        ]
    )
    for tid in ("ON_TIME", "SATURDAY"):
        assert r[(tid, "acknowledge")]["due_at"] == at("2026-11-27 18:00")
        assert r[(tid, "acknowledge")]["elapsed_seconds"] == 2 * H
    assert r[("ON_TIME", "acknowledge")]["state"] == "met"
    assert r[("SATURDAY", "acknowledge")]["state"] == "breached"


def test_holidays_are_closed_all_day(run_engine):
    # Opened Thu 24 Dec 17:00: 1h that day. Fri 25 Dec holiday, weekend, Mon 28 Dec holiday.
    # The second hour is Tue 29 Dec 09:00-10:00: due Tue 10:00.
    r = run_engine([ticket("T", "2026-12-24 17:00")], as_of=at("2026-12-29 09:30"))
    ack = r[("T", "acknowledge")]
    assert ack["due_at"] == at("2026-12-29 10:00")
    assert ack["elapsed_seconds"] == 1.5 * H  # 1h Thursday + 30 min Tuesday
    assert ack["state"] == "at_risk"  # 1.5h >= 0.75 x 2h
    assert ack["time_left_seconds"] == 0.5 * H


def test_country_holidays_come_from_the_holidays_package():
    from datetime import date

    from sla_core.clocks.calendars import closed_dates
    from sla_core.policy import Calendar

    # England's bank holidays include Easter Monday 6 Apr 2026 and the spring bank holiday
    # 25 May 2026; the UK-wide list (plain GB) leaves Easter Monday out (not a Scottish one).
    england = closed_dates(Calendar(hours={"mon": ["09:00-17:00"]}, holiday_country="GB-ENG"), date(2026, 1, 1), date(2026, 12, 31))
    uk = closed_dates(Calendar(hours={"mon": ["09:00-17:00"]}, holiday_country="GB"), date(2026, 1, 1), date(2026, 12, 31))
    assert date(2026, 4, 6) in england and date(2026, 5, 25) in england
    assert date(2026, 4, 7) not in england
    assert date(2026, 4, 6) not in uk and date(2026, 5, 25) in uk


def test_two_intervals_a_day_skip_the_lunch_break(run_engine):
    # Hours 09:00-12:00 and 13:00-18:00. Opened Mon 2 Mar 11:00.
    # 1h target: 11:00-12:00 reaches it at 12:00 exactly, due 12:00 (not 13:00).
    # 2h target: 11:00-12:00 then 13:00-14:00, due 14:00.
    cal = {"hours": {d: ["09:00-12:00", "13:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}}
    tiers = copy.deepcopy(BASE_POLICY["tiers"])
    tiers["high"] = {"calendar": "business", "acknowledge": "1h", "action_plan": "2h"}
    policy = make_policy(calendars={"business": cal}, tiers=tiers)
    r = run_engine([ticket("T", "2026-03-02 11:00")], policy=policy, as_of=at("2026-03-02 13:30"))
    assert r[("T", "acknowledge")]["due_at"] == at("2026-03-02 12:00")
    assert r[("T", "action_plan")]["due_at"] == at("2026-03-02 14:00")
    # At 13:30: 11:00-12:00 and 13:00-13:30 have counted.
    assert r[("T", "action_plan")]["elapsed_seconds"] == 1.5 * H


def _dst_policy(zone: str, sunday_hours: list[str]):
    calendars = {**copy.deepcopy(BASE_POLICY["calendars"]), "sunday": {"hours": {"sun": sunday_hours}}}
    tiers = copy.deepcopy(BASE_POLICY["tiers"])
    tiers["low"] = {"calendar": "sunday", "acknowledge": "48h"}
    return make_policy(timezone=zone, calendars=calendars, tiers=tiers)


def test_dst_days_count_wall_clock_intervals_europe_london(run_engine):
    # 29 Mar 2026 (spring forward, 01:00 -> 02:00) and 25 Oct 2026 (fall back, 02:00 -> 01:00).
    # A 09:00-18:00 Sunday is 9 real hours on both days; a 00:00-24:00 Sunday is 23h and 25h.
    # Each ticket is evaluated on the Monday after, so exactly one Sunday has counted.
    for hours, spring, autumn in ((["09:00-18:00"], 9 * H, 9 * H), (["00:00-24:00"], 23 * H, 25 * H)):
        policy = _dst_policy("Europe/London", hours)
        r_spring = run_engine([ticket("S", "2026-03-28 12:00", impact="low")], policy=policy, as_of=at("2026-03-30 00:00"))
        r_autumn = run_engine([ticket("A", "2026-10-24 12:00", impact="low")], policy=policy, as_of=at("2026-10-26 00:00"))
        assert r_spring[("S", "acknowledge")]["elapsed_seconds"] == spring, hours
        assert r_autumn[("A", "acknowledge")]["elapsed_seconds"] == autumn, hours


def test_dst_days_count_wall_clock_intervals_new_york(run_engine):
    # 8 Mar 2026 spring forward (02:00 -> 03:00), 1 Nov 2026 fall back (02:00 -> 01:00).
    ny = "America/New_York"
    for hours, spring, autumn in (
        (["09:00-18:00"], 9 * H, 9 * H),
        (["00:00-24:00"], 23 * H, 25 * H),
        # 01:00-03:00 local on the spring day: 02:00-03:00 does not exist, 1 real hour.
        # On the autumn day 01:00-02:00 happens twice: 01:00 EDT to 03:00 EST is 3 real hours.
        (["01:00-03:00"], 1 * H, 3 * H),
    ):
        policy = _dst_policy(ny, hours)
        r_spring = run_engine([ticket("S", "2026-03-07 12:00", impact="low")], policy=policy, as_of=at("2026-03-09 00:00", ny))
        r_autumn = run_engine([ticket("A", "2026-10-31 12:00", impact="low")], policy=policy, as_of=at("2026-11-02 00:00", ny))
        assert r_spring[("S", "acknowledge")]["elapsed_seconds"] == spring, hours
        assert r_autumn[("A", "acknowledge")]["elapsed_seconds"] == autumn, hours


def test_24x7_counts_real_seconds_across_dst(run_engine):
    # Critical acknowledge is 24x7. Sat 28 Mar 12:00 GMT -> Sun 29 Mar 12:00 BST is 23 real hours.
    r = run_engine([ticket("T", "2026-03-28 12:00", impact="critical")], as_of=at("2026-03-29 12:00"))
    assert r[("T", "acknowledge")]["elapsed_seconds"] == 23 * H
    assert r[("T", "acknowledge")]["due_at"] == at("2026-03-28 12:30")
    assert r[("T", "acknowledge")]["state"] == "breached"


def _business_resolution_policy(**changes):
    tiers = copy.deepcopy(BASE_POLICY["tiers"])
    tiers["high"] = {"calendar": "business", "acknowledge": "2h", "resolution": "10h"}
    return make_policy(tiers=tiers, **changes)


def test_pause_over_a_weekend(run_engine):
    # Opened Fri 27 Nov 15:00 (high, resolution 10 business hours). Waiting on customer
    # Fri 17:00 -> Mon 30 Nov 11:00, then open. Counted: Fri 15-17 (2h) + Mon 11-18 (7h) = 9h
    # by Mon 18:00; the tenth hour is Tue 09:00-10:00: due Tue 1 Dec 10:00.
    # Paused business time: Fri 17-18 + Mon 09-11 = 3h. Resolved Tue 09:30: met, elapsed 9.5h.
    events = [
        ("T", at("2026-11-27 17:00"), "status", "waiting_on_customer"),
        ("T", at("2026-11-30 11:00"), "status", "open"),
    ]
    r = run_engine(
        [ticket("T", "2026-11-27 15:00", resolved_at=at("2026-12-01 09:30"))],
        events,
        policy=_business_resolution_policy(),
    )
    res = r[("T", "resolution")]
    assert res["due_at"] == at("2026-12-01 10:00")
    assert res["paused_seconds"] == 3 * H
    assert res["elapsed_seconds"] == 9.5 * H
    assert res["state"] == "met"
    # The pause only stops the resolution clock: acknowledge (no pauses) is due 15:00 + 2h.
    assert r[("T", "acknowledge")]["due_at"] == at("2026-11-27 17:00")


def test_pause_still_open_at_as_of_has_no_due_at(run_engine):
    # Opened Mon 30 Nov 09:00; waiting on customer from 12:00 (3h counted) and still waiting
    # at as_of Tue 15:00: paused, no due_at, elapsed 3h.
    # A second ticket reached its 10h before pausing (Mon 09-18 + Tue 09-10 = 10h, paused at
    # Tue 11:00): it is breached and keeps its due_at Tue 10:00.
    events = [
        ("P", at("2026-11-30 12:00"), "status", "waiting_on_customer"),
        ("B", at("2026-12-01 11:00"), "status", "waiting_on_customer"),
    ]
    r = run_engine(
        [ticket("P", "2026-11-30 09:00"), ticket("B", "2026-11-30 09:00")],
        events,
        policy=_business_resolution_policy(),
        as_of=at("2026-12-01 15:00"),
    )
    assert r[("P", "resolution")]["state"] == "paused"
    assert r[("P", "resolution")]["due_at"] is None
    assert r[("P", "resolution")]["elapsed_seconds"] == 3 * H
    assert r[("B", "resolution")]["state"] == "breached"
    assert r[("B", "resolution")]["due_at"] == at("2026-12-01 10:00")
    assert r[("B", "resolution")]["elapsed_seconds"] == 11 * H


def test_reopen_under_both_settings(run_engine):
    # Medium resolution is 14d on 24x7. Opened Mon 2 Mar 09:00, resolved 12:00, reopened
    # Tue 3 Mar 09:00, finally resolved Tue 11:00.
    # resume: 3h + 2h = 5h, the 21h resolved span excluded, stops at the final resolution.
    # first_resolution: stops at Mon 12:00 after 3h.
    events = [
        ("T", at("2026-03-02 12:00"), "status", "resolved"),
        ("T", at("2026-03-03 09:00"), "status", "open"),
        ("T", at("2026-03-03 11:00"), "status", "resolved"),
    ]
    row = ticket("T", "2026-03-02 09:00", impact="medium", resolved_at=at("2026-03-03 11:00"), reopen_count=1)
    resume = run_engine([row], events, policy=make_policy(on_reopen="resume"))[("T", "resolution")]
    first = run_engine([row], events, policy=make_policy(on_reopen="first_resolution"))[("T", "resolution")]
    assert resume["elapsed_seconds"] == 5 * H
    assert resume["stopped_at"] == at("2026-03-03 11:00")
    assert resume["state"] == "met"
    assert first["elapsed_seconds"] == 3 * H
    assert first["stopped_at"] == at("2026-03-02 12:00")


def test_reopened_ticket_running_again_counts_from_the_reopen(run_engine):
    # Same ticket, as_of Tue 3 Mar 10:00 (reopened at 09:00, not re-resolved):
    # running with 3h + 1h = 4h.
    events = [
        ("T", at("2026-03-02 12:00"), "status", "resolved"),
        ("T", at("2026-03-03 09:00"), "status", "open"),
    ]
    r = run_engine([ticket("T", "2026-03-02 09:00", impact="medium")], events, as_of=at("2026-03-03 10:00"))
    assert r[("T", "resolution")]["elapsed_seconds"] == 4 * H
    assert r[("T", "resolution")]["state"] == "running"


def test_tier_change_up_and_down_under_both_settings(run_engine):
    # UP: medium (8h ack) raised to high (2h ack) at Mon 2 Mar 10:00; acknowledged 12:00 (3h).
    #   recompute: judged as high when it stopped -> due 11:00 -> breached.
    #   keep_initial: judged as medium -> due 17:00 -> met.
    # DOWN: high lowered to low (24h ack) at 10:00; acknowledged 12:00 (3h).
    #   recompute: low -> met; keep_initial: high -> due 11:00 -> breached.
    tickets = [
        ticket("UP", "2026-03-02 09:00", impact="medium", acknowledged_at=at("2026-03-02 12:00")),
        ticket("DOWN", "2026-03-02 09:00", impact="high", acknowledged_at=at("2026-03-02 12:00")),
    ]
    events = [
        ("UP", at("2026-03-02 10:00"), "impact", "high"),
        ("DOWN", at("2026-03-02 10:00"), "impact", "low"),
    ]
    rec = run_engine(tickets, events, policy=make_policy(on_tier_change="recompute"))
    keep = run_engine(tickets, events, policy=make_policy(on_tier_change="keep_initial"))
    assert (rec[("UP", "acknowledge")]["tier"], rec[("UP", "acknowledge")]["state"]) == ("high", "breached")
    assert rec[("UP", "acknowledge")]["due_at"] == at("2026-03-02 11:00")
    assert (keep[("UP", "acknowledge")]["tier"], keep[("UP", "acknowledge")]["state"]) == ("medium", "met")
    assert keep[("UP", "acknowledge")]["due_at"] == at("2026-03-02 17:00")
    assert (rec[("DOWN", "acknowledge")]["tier"], rec[("DOWN", "acknowledge")]["state"]) == ("low", "met")
    assert (keep[("DOWN", "acknowledge")]["tier"], keep[("DOWN", "acknowledge")]["state"]) == ("high", "breached")
    assert rec[("UP", "acknowledge")]["initial_tier"] == "medium"


def test_running_clock_uses_the_tier_in_force_at_as_of(run_engine):
    # Low (24h ack) raised to critical (30m, 24x7) at Mon 10:00, not acknowledged by 11:00:
    # judged as critical from created_at 09:00 -> due 09:30 -> breached.
    r = run_engine(
        [ticket("T", "2026-03-02 09:00", impact="low")],
        [("T", at("2026-03-02 10:00"), "impact", "critical")],
        as_of=at("2026-03-02 11:00"),
    )
    ack = r[("T", "acknowledge")]
    assert (ack["tier"], ack["calendar"], ack["state"]) == ("critical", "24x7", "breached")
    assert ack["due_at"] == at("2026-03-02 09:30")


def test_segment_override(run_engine):
    # Medium acknowledge is 8h, 4h for enterprise. Opened Mon 09:00, acknowledged 14:00 (5h).
    r = run_engine(
        [
            ticket("ENT", "2026-03-02 09:00", impact="medium", segment="enterprise", acknowledged_at=at("2026-03-02 14:00")),
            ticket("SELF", "2026-03-02 09:00", impact="medium", segment="self_serve", acknowledged_at=at("2026-03-02 14:00")),
        ]
    )
    assert r[("ENT", "acknowledge")]["target_seconds"] == 4 * H
    assert r[("ENT", "acknowledge")]["state"] == "breached"
    assert r[("SELF", "acknowledge")]["target_seconds"] == 8 * H
    assert r[("SELF", "acknowledge")]["state"] == "met"


def test_metric_with_no_target_is_tracked_not_timed(run_engine):
    # Low has no resolution target: untimed, no due_at, but elapsed business time is tracked
    # (Mon 09:00 -> Tue 12:00 = 9h + 3h = 12h).
    r = run_engine(
        [ticket("T", "2026-03-02 09:00", impact="low", resolved_at=at("2026-03-03 12:00"))]
    )
    res = r[("T", "resolution")]
    assert res["state"] == "untimed"
    assert res["target_seconds"] is None and res["due_at"] is None
    assert res["elapsed_seconds"] == 12 * H


def test_as_of_hides_what_happened_later(run_engine):
    # Acknowledged at 10:30 but evaluated at 10:00: still running, 1h elapsed.
    # Events after as_of (a pause at 10:15) are unknown too. A ticket created after as_of
    # does not exist yet.
    r = run_engine(
        [
            ticket("T", "2026-03-02 09:00", acknowledged_at=at("2026-03-02 10:30")),
            ticket("LATER", "2026-03-02 10:01"),
        ],
        [("T", at("2026-03-02 10:15"), "status", "waiting_on_customer")],
        as_of=at("2026-03-02 10:00"),
    )
    assert r[("T", "acknowledge")]["state"] == "running"
    assert r[("T", "acknowledge")]["stopped_at"] is None
    assert r[("T", "acknowledge")]["elapsed_seconds"] == 1 * H
    assert not any(key[0] == "LATER" for key in r)


def test_resolution_without_acknowledgement_stops_the_acknowledge_clock(run_engine):
    # Critical opened 09:00 and resolved at 09:20 with no separate acknowledgement:
    # the resolution answered the customer, acknowledge stops at 09:20 and is met.
    r = run_engine([ticket("T", "2026-03-02 09:00", impact="critical", resolved_at=at("2026-03-02 09:20"))])
    assert r[("T", "acknowledge")]["stopped_at"] == at("2026-03-02 09:20")
    assert r[("T", "acknowledge")]["state"] == "met"


def test_rubric_tiers_a_ticket_without_impact(run_engine):
    # No impact, severity outage (0.9 x 0.35 = 0.315) and 150 customers (0.7 x 0.30 = 0.21):
    # score 0.525 >= 0.50 -> high.
    rubric = {
        "weights": {"customers_affected": 0.30, "segment": 0.15, "severity": 0.35, "regulatory": 0.20, "workaround": -0.10},
        "scales": {
            "customers_affected": {0: 0.0, 1: 0.1, 10: 0.4, 100: 0.7, 1000: 1.0},
            "severity": {"outage": 0.9, "cosmetic": 0.1},
        },
        "thresholds": {"critical": 0.75, "high": 0.50, "medium": 0.25},
        "always_critical": ["data_loss", "security"],
    }
    r = run_engine(
        [{"ticket_id": "T", "created_at": at("2026-03-02 09:00"), "severity": "outage", "customers_affected": 150}],
        policy=make_policy(rubric=rubric),
    )
    assert r[("T", "acknowledge")]["tier"] == "high"


def test_calendars_differing_only_in_a_holiday_are_not_mixed_up(run_engine):
    # Calendar tables are remembered per calendars and span; the same tickets judged under
    # a calendar with Mon 28 Dec as a holiday, then without it, then with it again.
    # Opened Mon 28 Dec 09:00, 2h acknowledge target: due Tue 29 Dec 11:00 when the 28th is
    # a holiday, Mon 28 Dec 11:00 when it is a working day.
    def business(holidays):
        return {"business": {"hours": {d: ["09:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
                             "holidays": holidays}}

    tickets = [ticket("T", "2026-12-28 09:00")]
    closed = make_policy(calendars=business(["2026-12-25", "2026-12-28"]))
    open_ = make_policy(calendars=business(["2026-12-25"]))
    for policy, due in ((closed, "2026-12-29 11:00"), (open_, "2026-12-28 11:00"), (closed, "2026-12-29 11:00")):
        assert run_engine(tickets, policy=policy)[("T", "acknowledge")]["due_at"] == at(due)
