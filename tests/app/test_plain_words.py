"""Pages speak a support manager's words: no snake_case column, no grey "None", every word in the glossary."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from sla_core.present import words
from ui.registry import PAGES

ROOT = Path(__file__).resolve().parents[2]
SNAKE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
GLOSSARY = ROOT / "docs" / "glossary.md"


def shown_problems(at: AppTest) -> list[str]:
    """Every snake_case column name and every empty (None) cell the page's tables and figures show."""
    problems = []
    for frame in at.dataframe:
        value: pd.DataFrame = frame.value
        names = [str(c) for c in value.columns] + ([str(value.index.name)] if value.index.name else [])
        problems += [f"{frame.key}: column {name!r}" for name in names if SNAKE.match(name)]
        problems += [f"{frame.key}: empty cell in {c!r}" for c in value.columns if value[c].isna().any()]
    problems += [f"metric {m.label!r} reads {m.value!r}" for m in at.metric if m.value in ("None", "nan")]
    return problems


@pytest.mark.parametrize("spec", PAGES, ids=[spec.name for spec in PAGES])
def test_a_page_shows_no_snake_case_and_no_none(spec) -> None:  # noqa: ANN001
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.switch_page(spec.path).run()
    assert not at.exception, [e.value for e in at.exception]
    if spec.name == "review":  # the drill-down's list and a selected team's tickets, too
        at.toggle(key="team_table_all").set_value(True).run()
        assert len(at.dataframe) >= 4
    assert shown_problems(at) == []


def test_the_words_catch_what_the_core_names() -> None:
    frame = pd.DataFrame({"owner_team": ["support", None], "metric": ["action_plan", "resolution"],
                          "target_minutes": [1440.0, 20160.0], "adherence": [0.9, None]})
    shown = words.for_people(frame)
    assert list(shown.columns) == ["Owner team", "Clock", "Target", "Adherence"]
    assert shown.to_dict("list") == {"Owner team": ["support", "—"], "Clock": ["action plan", "resolution"],
                                     "Target": ["24 h", "14 d"], "Adherence": ["90.0%", "—"]}
    left = words.time_left(pd.Series([8580, -48 * 86400 - 3600, 3 * 3600]),
                           pd.Series(["at_risk", "breached", "paused"]))
    assert list(left) == ["2 h 23 m left", "48 d 1 h overdue", "paused, 3 h left"]


def test_every_word_a_page_uses_is_in_the_glossary() -> None:
    text = GLOSSARY.read_text(encoding="utf-8")
    absent = sorted({label for label in words.LABELS.values() if f"**{label}**" not in text})
    assert absent == [], f"add these to {GLOSSARY.name}: {absent}"


def test_a_stores_review_and_its_import_history_speak_plain_words(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from sla_core.ingest.store import import_file
    from ui.state import StateKeys

    store = tmp_path / "store.duckdb"
    monkeypatch.setenv("SLA_BOARD_DB", str(store))
    import_file(ROOT / "sample_data" / "tickets.csv", db=store, events=ROOT / "sample_data" / "events.csv")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state[StateKeys.CHOSEN_SOURCE] = "store"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    history = [f.value for f in at.dataframe if "Tickets accepted" in f.value.columns]
    assert len(history) == 1 and list(history[0]["Rows read"]) == [3000]
    assert shown_problems(at) == []
