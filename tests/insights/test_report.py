"""The monthly report: its sections, its escaping, and `python -m sla_core report` end to end."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from sla_core import feedback
from sla_core.access import local_actor
from sla_core.analysis.filters import Filters
from sla_core.cli import main
from sla_core.feedback import ActionItem, IncidentReview
from sla_core.ingest.store import import_file
from sla_core.present import report
from tests.insights.conftest import (
    EVENTS,
    EVERY_CHART,
    SAMPLE_AS_OF,
    TICKETS,
    build_source,
    utc,
)

NOV = Filters(period=date(2026, 11, 1))
HOSTILE = "<script>alert('x')</script>"


def chart_keys(text: str) -> list[str]:
    return re.findall(r'data-chart="([^"]+)"', text)


def test_the_cli_writes_one_self_contained_file(sample_report: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, done = sample_report
    assert done.returncode == 0, done.stderr
    assert "wrote the 2026-10 report to" in done.stderr
    text = out.read_text(encoding="utf-8")
    assert set(chart_keys(text)) == EVERY_CHART
    # plotly.js is inside the file; nothing is fetched from a network.
    assert "Plotly.newPlot" in text and len(text) > 3_000_000
    assert not re.search(r"<script[^>]+src=", text) and not re.search(r"<link[^>]+href=", text)
    for heading in ("Per tier and metric, 2026-10 vs 2026-09", "Breached clocks, 2026-10", "Beyond the timers",
                    "Time to detect (monitoring saw", "Handoff quality", "Quarterly retrospective, 2026-Q3",
                    "Feedback loops"):
        assert heading in text, heading


def test_report_from_a_store_lists_its_action_items(tmp_path: Path) -> None:
    store = tmp_path / "store.duckdb"
    import_file("sample_data/tickets.csv", "plain", db=store, events="sample_data/events.csv")
    feedback.save_review(IncidentReview(ticket_id="T-002732", summary="Login outage", reviewed_at=date(2026, 11, 1)),
                         store, actor=local_actor())
    feedback.save_action_items("T-002732", [
        ActionItem(ticket_id="T-002732", description=f"Fix {HOSTILE}", owner="eng", deadline=date(2026, 11, 3)),
    ], store, actor=local_actor())
    out = tmp_path / "r.html"
    assert main(["report", "--month", "2026-10", "--db", str(store), "--as-of", SAMPLE_AS_OF, "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "Open action items (1; 1 overdue on 2026-11-26)" in text
    assert "Fix &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text and HOSTILE not in text
    # T-002732 is reviewed now; October's other critical incidents are listed as missing one.
    missing = text.split("without a review")[1].split("</table>")[0]
    assert "T-002732" not in missing and "T-002539" in missing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "error: --month: bad month '2026-13'"),
        (["--month", "2026-10", "--out", "report.pdf"], "use an .html file name"),
        (["--month", "2026-10", "--policy", "nope.yaml"], "error:"),
        (["--month", "2026-10", "--feedback-db", "missing.duckdb"], "--feedback-db missing.duckdb: no such store file"),
    ],
)
def test_bad_arguments_fail_with_one_line(args: list[str], message: str, tmp_path: Path, capsys) -> None:
    argv = ["report", "--tickets", "sample_data/tickets.csv", "--out", str(tmp_path / "r.html"), *args]
    if "--out" in args:
        argv = ["report", "--tickets", "sample_data/tickets.csv", *args]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error:") and message in err[-1]
    assert not (tmp_path / "r.html").exists()


def test_every_text_from_the_data_is_escaped(tmp_path: Path) -> None:
    tickets = [dict(t) for t in TICKETS]
    tickets.append(dict(ticket_id=HOSTILE, impact="critical", segment=HOSTILE, owner_team="support",
                        created_at=utc("2026-11-12 09:00"), acknowledged_at=utc("2026-11-12 11:00"),
                        resolved_at=utc("2026-11-12 15:00"), csat=1, impacted_customers=HOSTILE))
    src = build_source(tickets, EVENTS)
    store = tmp_path / "fb.duckdb"
    feedback.save_review(IncidentReview(ticket_id="A", summary=HOSTILE, reviewed_at=date(2026, 11, 3)), store, actor=local_actor())
    feedback.save_action_items("A", [ActionItem(ticket_id="A", description=HOSTILE, owner=HOSTILE,
                                                deadline=date(2026, 12, 3))], store, actor=local_actor())
    text = report.build_report(src, NOV, feedback_db=store, today=date(2026, 11, 26))
    assert HOSTILE not in text
    assert text.count("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;") >= 3  # breached row, items, incidents


def test_report_bytes_match_the_written_file(month_source, tmp_path: Path) -> None:
    path = report.write_report(month_source, NOV, tmp_path / "nov.html")
    body = path.read_text(encoding="utf-8")
    assert body.startswith("<!DOCTYPE html>") and "SLA review 2026-11" in body
    assert "No feedback store" in body
    assert report.report_filename(NOV) == "sla_review_2026-11.html"
    # The same month renders the same tables (plotly's div ids differ from run to run).
    strip = lambda t: re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "ID", t)  # noqa: E731
    assert strip(report.report_bytes(month_source, NOV).decode()) == strip(body)
    with pytest.raises(ValueError, match="needs a month"):
        report.build_report(month_source, Filters())
