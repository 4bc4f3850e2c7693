"""The policy as the one-page SLA agreement a team signs (`python -m sla_core template`, the app's download).

What a support manager, a product lead and an engineering lead put their names under: which tickets land in
which tier (with examples the rubric itself scores), the targets and the calendars they count on, what each
tier triggers and who joins how soon, what a handoff carries, the playbooks, and when the agreement is
reviewed. Everything is read from the policy; nothing is added that the policy does not say, and a key the
policy leaves out is named as absent rather than invented.

Built once as a `document.Document`, rendered to Markdown and to HTML (escaped everywhere, printable on one A4
page); the triage checklist is checklist.py's, the playbooks' titles and first steps policy/playbooks.py's.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby, product
from typing import Any, Optional

import pandas as pd

from sla_core.clocks.rubric import score_tickets
from sla_core.policy import BUILTIN_24X7, Calendar, Policy, PlaybookRule, Rubric
from sla_core.policy.model import WEEKDAYS
from sla_core.policy.playbooks import playbooks
from sla_core.present import words
from sla_core.present.checklist import checklist_blocks
from sla_core.present.document import (
    Block,
    Bullets,
    Code,
    Document,
    Line,
    Para,
    Section,
    Strong,
    Table,
    html_page,
    line,
    markdown,
)
from sla_core.sqlutil import connect, load_frame
from sla_core.vocab import DISCIPLINES, METRICS, SEVERITIES, TIERS

EXAMPLES_PER_TIER = 2
MISSING = "—"

STYLE = """
@page{size:A4;margin:9mm 11mm}
body{font:8.4pt/1.25 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1f2430;max-width:186mm;
     margin:1rem auto;padding:0 3mm}
h1{font-size:14pt;margin:0} .meta{color:#5b6270;margin:.1rem 0 .3rem}
h2{font-size:9.8pt;margin:.38rem 0 .1rem;border-bottom:1px solid #c9ccd4;padding-bottom:1px}
p,ul{margin:.12rem 0} ul{padding-left:1rem} li{margin:0}
table{border-collapse:collapse;width:100%;margin:.12rem 0}
th,td{border:1px solid #d5d8df;padding:1px 4px;text-align:left;vertical-align:top}
th{background:#f1f2f5;font-weight:600}
code{font:7.8pt ui-monospace,Menlo,Consolas,monospace;background:#f4f5f8;padding:0 2px;border-radius:2px}
.note{color:#5b6270;font-size:7.8pt}
.checklist{margin:.08rem 0} .checklist ul{display:inline;padding:0}
.checklist li{display:inline-block;list-style:none;margin-right:.7rem} .box{font-size:10pt}
table.blank td{height:6mm}
section{break-inside:avoid}
@media print{body{margin:0;max-width:none;padding:0}}
"""


# --- words ------------------------------------------------------------------------------------------------------

def duration(seconds: int) -> str:
    """A target as the app says it: "30 m", "2 h", "14 d"."""
    return str(words.duration(pd.Series([seconds])).iloc[0])


def plain(value: str) -> str:
    """A vocabulary value as a word: `data_loss` -> "data loss", `at_risk` -> "at risk"."""
    return value.replace("_", " ")


def _listed(values: list[str], last: str = "and") -> str:
    values = [v for v in values if v]
    return values[0] if len(values) == 1 else f"{', '.join(values[:-1])} {last} {values[-1]}" if values else ""


def calendar_words(name: str) -> str:
    return "around the clock (24x7)" if name == BUILTIN_24X7 else f"{name} calendar"


def _hours(calendar: Calendar) -> str:
    """`Mon–Fri 09:00–18:00; Sat 10:00–14:00`: consecutive days with the same openings grouped."""
    hours = {str(day): spans for day, spans in calendar.hours.items()}
    days = [(day, ", ".join(hours.get(day, []))) for day in WEEKDAYS]
    runs = []
    for spans, group in groupby(days, key=lambda d: d[1]):
        names = [d.capitalize() for d, _ in group]
        if spans:
            runs.append(f"{names[0]}–{names[-1]} {spans}" if len(names) > 1 else f"{names[0]} {spans}")
    return "; ".join(runs)


def _calendar_line(name: str, calendar: Calendar, zone: str) -> Line:
    closed = [d.isoformat() for d in calendar.holidays]
    if calendar.holiday_country:
        closed.append(f"the public holidays of {calendar.holiday_country}")
    tail = f"; closed on {_listed(closed)}" if closed else ""
    return line(Strong(f"{name} calendar"), f": {_hours(calendar)} ({zone}){tail}.")


# --- tiers, with the examples the rubric scores --------------------------------------------------------------

@dataclass(frozen=True)
class _Example:
    severity: str
    customers: Optional[int]
    segment: Optional[str]
    regulatory: bool

    def words(self) -> str:
        """`outage · 1,000+ customers · enterprise · regulatory`"""
        parts = [plain(self.severity)]
        if self.customers is not None:
            parts.append(f"{self.customers:,}+ customers")
        if self.segment is not None:
            parts.append(plain(self.segment))
        return " · ".join(parts + (["regulatory"] if self.regulatory else []))


def _example_grid(rubric: Rubric) -> list[_Example]:
    """Tickets to score: each severity x customers affected x segment x regulatory the rubric knows, in the
    order examples are picked: most severe, most customers, the segment that weighs most, not regulatory."""
    scales = rubric.scales
    severity = {str(k): v for k, v in scales.get("severity", {}).items()}
    severities = sorted((s for s in SEVERITIES if s in severity or not severity), key=lambda s: -severity.get(s, 0))
    counts: list[Optional[int]] = [None]
    if scales.get("customers_affected"):
        counts = [*sorted((int(k) for k in scales["customers_affected"] if int(k) > 0), reverse=True)] or [None]
    segment = {str(k): v for k, v in scales.get("segment", {}).items()}
    segments: list[Optional[str]] = [*sorted(segment, key=lambda name: -segment[name])] or [None]
    regulatory = [False, True] if rubric.weights.get("regulatory") else [False]
    return [_Example(*combination) for combination in product(severities, counts, segments, regulatory)]


def tier_examples(policy: Policy) -> dict[str, list[str]]:
    """Per tier, up to two tickets the policy's own rubric puts there (scored by clocks/rubric.py, as every
    ticket is), each of another severity, the first in _example_grid's order. Severities that are always
    critical are said apart, not as examples."""
    if policy.rubric is None:
        return {}
    grid = _example_grid(policy.rubric)
    frame = pd.DataFrame([(f"x{n}", e.severity, e.customers, e.segment, e.regulatory, False)
                          for n, e in enumerate(grid)])
    con = connect()
    try:
        load_frame(con, "tickets", frame, "ticket_id VARCHAR, severity VARCHAR, customers_affected BIGINT, "
                                          "segment VARCHAR, regulatory BOOLEAN, workaround BOOLEAN")
        score_tickets(con, policy.rubric)
        scored = {str(ticket): (str(tier), bool(hard)) for ticket, tier, hard in
                  con.execute("SELECT ticket_id, rubric_tier, hard_rule FROM rubric_scores").fetchall()}
    finally:
        con.close()
    examples: dict[str, list[str]] = {tier: [] for tier in TIERS}
    seen: dict[str, set[str]] = {tier: set() for tier in TIERS}
    for number, example in enumerate(grid):
        tier, hard_rule = scored[f"x{number}"]
        if hard_rule or example.severity in seen[tier] or len(examples[tier]) >= EXAMPLES_PER_TIER:
            continue
        seen[tier].add(example.severity)
        examples[tier].append(example.words())
    return examples


def _rubric_para(policy: Policy) -> Para:
    rubric = policy.rubric
    if rubric is None:
        return Para(line("A ticket's tier is set at triage (its impact); the policy has no rubric."))
    weights = [f"{plain(f)} {w:+.0%}".replace("+", "") for f, w in rubric.weights.items()]
    steps = [f"{t} from {rubric.thresholds[t]:.2f}" for t in ("critical", "high", "medium")]
    text: list[Any] = ["A ticket triaged with an impact keeps it. Any other is scored by the rubric (",
                       "; ".join(weights), "): ", "; ".join(steps), "; low below."]
    if rubric.always_critical:
        text.append(f" Severity {_listed([plain(s) for s in rubric.always_critical], 'or')} is always critical.")
    return Para(line(*text))


def _tiers_section(policy: Policy) -> Section:
    examples = tier_examples(policy)
    always = [plain(s) for s in policy.rubric.always_critical] if policy.rubric else []
    rows = []
    for tier in TIERS:
        cases = list(examples.get(tier, []))
        if tier == "critical" and always:
            cases.insert(0, f"any {_listed(always, 'or')}")
        goal = policy.goals.get(tier)
        rows.append((line(Strong(tier.capitalize())), line("; ".join(cases) or MISSING),
                     line(f"{goal:.0%}" if goal else MISSING)))
    blocks: list[Block] = [_rubric_para(policy), Table(("Tier", "For example", "Goal"), tuple(rows))]
    change = ("a clock is judged against the tier in force when it stops" if policy.on_tier_change == "recompute"
              else "a clock keeps the tier the ticket had when it was created")
    blocks.append(Para(line(f"When a ticket's tier changes, {change}."), note=True))
    return Section("Tiers: what lands where", tuple(blocks))


# --- targets and their calendars -----------------------------------------------------------------------------

def _target(policy: Policy, tier: str, metric: str, segment: Optional[str] = None) -> str:
    calendar, seconds = policy.targets_for(tier, segment).target(metric)
    return "not timed" if seconds is None else f"{duration(seconds)}, {calendar_words(calendar)}"


def _segment_lines(policy: Policy) -> list[Line]:
    found = []
    for segment, tiers in policy.segments.items():
        changes = [f"{tier} {plain(metric)} {_target(policy, tier, metric, segment)}"
                   for tier, targets in tiers.items() for metric in METRICS if metric in targets.model_fields_set]
        if changes:
            found.append(line(Strong(f"Segment {plain(segment)}"), ": ", "; ".join(changes), "."))
    return found


def _calendars_used(policy: Policy) -> list[str]:
    used = [policy.targets_for(tier, seg).target(metric)[0]
            for tier in TIERS for seg in [None, *policy.segments] for metric in METRICS]
    return list(dict.fromkeys(used))


def _clock_rules(policy: Policy) -> Para:
    text = [f"A clock is at risk at {policy.at_risk_ratio:.0%} of its target and breached past it."]
    for metric, statuses in policy.pauses.items():
        if statuses:
            text.append(f" The {plain(metric)} clock pauses while the ticket is "
                        f"{_listed([plain(s) for s in statuses], 'or')}.")
    text.append(" A reopened ticket's resolution clock resumes: the time it sat resolved does not count."
                if policy.on_reopen == "resume" else " The resolution clock stops at the first resolution.")
    text.append(" A day (d) is 24 hours of the clock's calendar.")
    return Para(line("".join(text)))


def _targets_section(policy: Policy) -> Section:
    rows = tuple((line(Strong(tier.capitalize())), *(line(_target(policy, tier, m)) for m in METRICS))
                 for tier in TIERS)
    items = _segment_lines(policy)
    for name in _calendars_used(policy):
        if name == BUILTIN_24X7:
            items.append(line(Strong("24x7"), ": around the clock, every hour counts, holidays included."))
        else:
            items.append(_calendar_line(name, policy.calendars[name], policy.timezone))
    blocks: list[Block] = [Table(("Tier", *(plain(m).capitalize() for m in METRICS)), rows)]
    if items:
        blocks.append(Bullets(tuple(items)))
    blocks.append(_clock_rules(policy))
    return Section("Targets and their calendars", tuple(blocks))


# --- routes, triage, playbooks, cadence ----------------------------------------------------------------------

def _routes_section(policy: Policy) -> Section:
    rows = []
    for tier in TIERS:
        route = policy.routes.get(tier)
        if route is None:
            rows.append((line(Strong(tier.capitalize())), line("no route"), line(MISSING), line(MISSING)))
            continue
        who = _listed(list(route.responders))
        if who and route.join_within:
            who = f"{who}, within {duration(route.join_within)} of creation"
        elif route.join_within:
            who = f"within {duration(route.join_within)} of creation"
        rows.append((line(Strong(tier.capitalize())), line(Code(route.route)),
                     line(Code(route.channel)) if route.channel else line(MISSING), line(who or MISSING)))
    return Section("Routes: who joins, and how soon",
                   (Table(("Tier", "Route", "Channel", "Who joins"), tuple(rows)),))


def _triage_section(policy: Policy) -> Section:
    blocks: list[Block] = list(checklist_blocks(policy))
    if not policy.triage_required and not policy.tags_required:
        blocks = [Para(line("The policy requires no triage field or tag (", Code("triage_required"), ", ",
                            Code("tags_required"), ")."))]
    else:
        blocks.append(Para(line("The breach queue names what a ticket lacks."), note=True))
    return Section("Triage: what a handoff carries", tuple(blocks))


def when_words(rule: PlaybookRule) -> str:
    when = rule.when
    parts = []
    for name, values in (("tier", when.tier), ("segment", when.segment), ("severity", when.severity)):
        if values is not None:
            parts.append(f"{name} {_listed([plain(v) for v in values], 'or')}")
    if when.regulatory is not None:
        parts.append("regulatory" if when.regulatory else "not regulatory")
    if when.tags is not None:
        parts.append(f"tagged {_listed(list(when.tags), 'or')}")
    if when.state is not None:
        parts.append(_listed([plain(s) for s in when.state], "or"))
    return " and ".join(parts) or "always"


def _playbooks_section(policy: Policy) -> Section:
    items = []
    for book in playbooks(policy):
        when = " or ".join(dict.fromkeys(when_words(r) for r in policy.playbooks if r.file == book.file))
        if book.missing:
            items.append(line(Strong(book.title), f" (when {when}): file ", Code(book.file), " not found."))
        else:
            step = f"; first step: {book.first_step}." if book.first_step else "."
            items.append(line(Strong(book.title), f" (when {when}){step}"))
    block: Block = Bullets(tuple(items)) if items else Para(line("The policy names no playbook."))
    return Section("Playbooks", (block,))


def _alerts(policy: Policy) -> Line:
    if not policy.notify:
        return line(Strong("Alerts"), ": none configured (", Code("notify"), "); breaches show in the breach queue.")
    said = []
    for target in policy.notify:
        tool = "Slack" if target.to == "slack" else "PagerDuty"
        if target.digest:
            said.append(f"{tool}, a weekly digest of the reviews and action items due")
        else:
            said.append(f"{tool} when a {_listed(list(target.tiers), 'or')} clock turns "
                        f"{_listed([plain(s) for s in target.states], 'or')}")
    return line(Strong("Alerts"), ": ", "; ".join(said), ".")


def _cadence_section(policy: Policy) -> Section:
    review = policy.post_mortem
    tiers = _listed(list(review.tiers), "or")
    items = (
        line(Strong("Weekly"), f": a post-incident review of every resolved {tiers} incident, due "
             f"{duration(review.due_within)} after its resolution; the reviews overdue and the action items due, "
             "by owner."),
        line(Strong("Monthly"), ": the SLA review: adherence per tier and clock against the goals, the breaches "
             "and who owned them, reopens, time to detect, satisfaction after incidents."),
        line(Strong("Quarterly"), ": a retrospective of the quarter; the rubric, tiers and targets revisited "
             "(the Rubric simulator replays them) and this agreement signed again when they change."),
        _alerts(policy),
    )
    return Section("Reviews", (Bullets(items),))


def _signatures(policy: Policy) -> Section:
    names = list(dict.fromkeys(rule.discipline for rule in policy.disciplines)) or list(DISCIPLINES)
    rows = tuple((line(Strong(name.capitalize())), line(""), line(""), line("")) for name in names)
    return Section("Signed", (Table(("For", "Name", "Signature", "Date"), rows, blank=True),))


# --- the document ---------------------------------------------------------------------------------------------

def build_agreement(policy: Policy, source: str = "") -> Document:
    """The agreement of `policy`; `source` names its file in the subtitle (none: left out)."""
    teams = _listed([d.capitalize() for d in dict.fromkeys(r.discipline for r in policy.disciplines)]) or "the teams"
    subtitle = [f"Between {teams}", " · policy ", Code(source)] if source else [f"Between {teams}"]
    subtitle.append(f" · times in {policy.timezone}; durations in m (minutes), h (hours) and d (days).")
    return Document("Service level agreement", line(*subtitle), (
        _tiers_section(policy),
        _targets_section(policy),
        _routes_section(policy),
        _triage_section(policy),
        _playbooks_section(policy),
        _cadence_section(policy),
        _signatures(policy),
    ))


def agreement_markdown(policy: Policy, source: str = "") -> str:
    return markdown(build_agreement(policy, source))


def agreement_html(policy: Policy, source: str = "") -> str:
    return html_page(build_agreement(policy, source), STYLE)


AGREEMENT_FILES = {"md": "sla_agreement.md", "html": "sla_agreement.html"}


__all__ = [
    "AGREEMENT_FILES", "agreement_html", "agreement_markdown", "build_agreement", "calendar_words", "duration",
    "tier_examples", "when_words",
]
