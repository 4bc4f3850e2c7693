"""Beyond the timers' incident context in Chromium, on a store filled by `import` with the hand-worked case of
tests/insights/test_incident_context.py (November 2026, a 4 h context_window): the share per month, the picker
opening on incident 4711 with the four deploys and the one warning of its services in its window, and another
incident a click away."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from sla_core.columns import SIGNAL_COLUMNS
from sla_core.ingest.store import import_file
from tests.browser.harness import app_on_store, eventually, first_cells, settle
from tests.browser.test_browser import EXCEPTION, metric
from tests.conftest import BASE_POLICY
from tests.insights.test_incident_context import AS_OF, DEPLOYS, SIGNALS, TICKETS

PANEL = ".st-key-insights_context"  # what the walk looks at: the share table down to the picked incident


def _csv(columns: list[str], rows: list[dict]) -> str:
    cell = lambda v: "" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v)  # noqa: E731
    return ",".join(columns) + "\n" + "".join(",".join(cell(r.get(c)) for c in columns) + "\n" for r in rows)


@pytest.fixture(scope="module")
def context_board(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a store holding the hand-worked tickets, signals and deploys, each imported as a file."""
    folder = tmp_path_factory.mktemp("context_board")
    policy = folder / "policy.yaml"
    policy.write_text(yaml.safe_dump({**copy.deepcopy(BASE_POLICY), "context_window": "4h"}))
    columns = ["ticket_id", "created_at", "impact", "segment", "source", "incident_ref", "started_at",
               "acknowledged_at", "resolved_at"]
    files = {"tickets.csv": _csv(columns, TICKETS), "signals.csv": _csv(list(SIGNAL_COLUMNS), SIGNALS),
             "deploys.csv": _csv(["deploy_id", "service", "deployed_at", "version", "tool"],
                                 [dict(zip(("deploy_id", "service", "deployed_at", "version", "tool"),
                                           (d, f'"{s}"' if s != s.strip() else s, f"{at}:00+00:00", v, t)))
                                  for d, s, at, v, t in DEPLOYS])}
    store = folder / "context.duckdb"
    for name, text in files.items():
        (folder / name).write_text(text)
        import_file(folder / name, db=store, policy=policy)
    with app_on_store(store, env={"SLA_BOARD_POLICY": str(policy), "SLA_BOARD_NOW": AS_OF.isoformat()}) as url:
        yield url


def test_a_person_picks_an_incident_and_sees_what_came_before_it(browser, context_board: str,  # noqa: ANN001
                                                                 screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, timezone_id="UTC")
    try:
        page = context.new_page()
        page.goto(f"{context_board}/insights?period=2026-11")
        page.get_by_role("heading", name="Beyond the timers").wait_for(timeout=120_000)
        settle(page)
        page.get_by_role("tab", name="Detection and NPS").click()
        settle(page)
        assert page.locator(EXCEPTION).count() == 0
        panel = page.locator(PANEL)
        panel.get_by_role("heading", name="Incidents preceded by a deploy, per month").wait_for()
        # Month, Incidents, Naming a service, Preceded by a deploy, Share preceded by a deploy
        shares = panel.locator('[data-testid="stDataFrame"]').nth(0)
        assert first_cells(shares, 10)[:4] == ["2026-10", "1", "1", "1"]
        assert first_cells(shares, 10)[5:9] == ["2026-11", "3", "2", "1"]
        picker = panel.get_by_role("combobox", name="Incident")
        assert picker.input_value() == (
            "4711 · critical · began 2026-11-02 09:30 · checkout, payments · 4 deploys, 1 signal before")
        assert metric(page, "Began") == "2026-11-02 09:30"
        assert metric(page, "Deploys in the 4 h before") == "4"
        deploys = panel.locator('[data-testid="stDataFrame"]').nth(1)
        # Deployed, Service, Version, Tool, Deploy, Before it began: latest first
        cells = first_cells(deploys, 24)
        assert [cells[i + 4] for i in range(0, 24, 6)] == ["G1", "G2", "A1", "G3"]
        assert [cells[i + 5] for i in range(0, 24, 6)] == ["0 m", "1 h 30 m", "2 h 30 m", "4 h"]
        signals = panel.locator('[data-testid="stDataFrame"]').nth(2)
        assert "W1" in first_cells(signals, 7)
        panel.screenshot(path=str(screenshots / "insights_incident_context.png"))

        picker.click()
        page.get_by_role("option", name="SE7 · high · began 2026-11-10 11:00 · sync · 0 deploys, 1 signal before",
                         exact=True).click()
        settle(page)
        eventually(page, lambda: metric(page, "Began") == "2026-11-10 11:00", "SE7's context")
        assert metric(page, "Deploys in the 4 h before") == "0"
        assert panel.get_by_text("No deploy of its services in the 4 h before it began.").count() == 1
        assert page.locator(EXCEPTION).count() == 0
        panel.screenshot(path=str(screenshots / "insights_incident_context_quiet.png"))
    finally:
        context.close()
