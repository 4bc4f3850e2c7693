"""In Chromium: an export with its own columns and words, mapped on the Upload page, loaded, and what it can tell."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.app.test_upload_values import EXPORT
from tests.browser.harness import settle
from tests.browser.test_browser import page_of


def test_map_columns_and_values_then_load(browser, server: str, screenshots: Path) -> None:  # noqa: ANN001
    with page_of(browser, server, "upload", width=1400, height=2600) as page:
        page.get_by_label("Export format").first.click()
        page.get_by_role("option", name="My own columns (map them below)").click()
        settle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
            {"name": "intercom.csv", "mimeType": "text/csv", "buffer": EXPORT.encode()})
        page.get_by_text("Which of your columns holds what?").wait_for(timeout=60_000)
        settle(page)
        # every column is guessed from its name: each value table is there
        for canonical, column in (("impact", "Priority level"), ("owner_team", "Team assigned"), ("segment", "Plan"),
                                  ("source", "Channel")):
            page.get_by_text(f"{canonical} ← “{column}”").first.wait_for()
        # the value tables: priority words guessed, the unknown one open and flagged
        impact = page.locator('[data-testid="stExpander"]').filter(has_text=re.compile("impact ← “Priority level”"))
        assert "1 not recognised" in impact.inner_text()
        page.screenshot(path=str(screenshots / "upload_value_mapping.png"), full_page=True)

        page.get_by_text("This mapping as YAML, for the command line").click()
        settle(page)
        shown = page.locator('[data-testid="stCode"]').first.inner_text()
        mapping = yaml.safe_load(shown)
        assert mapping["columns"]["impact"] == "Priority level"
        assert mapping["values"]["impact"]["P1"] == "critical"
        with page.expect_download() as download:
            page.get_by_role("button", name=re.compile("Download mapping.yaml")).click()
        assert yaml.safe_load(Path(download.value.path()).read_text(encoding="utf-8")) == mapping

        page.get_by_role("button", name=re.compile("Load and evaluate")).click()
        page.get_by_text("Rows read").wait_for(timeout=60_000)
        settle(page)
        assert page.locator('[data-testid="stException"]').count() == 0
        panel = page.locator('[data-testid="stExpander"]').filter(has_text="What this data can tell")
        told = panel.inner_text()
        # 12: the clocks and figures this small export lacks, NPS cohorts (no accounts, no survey answers) and the
        # share of incidents a deploy preceded (no deploys) among them
        assert "12 figures it cannot back" in told and "Action plan clock" in told and "Time to detect" in told
        assert "NPS and CSAT of incident cohorts" in told and "Deploys before incidents" in told
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshots / "upload_value_mapping_loaded.png"), full_page=True)
