"""What a page computes from the sample is computed once for every session; an upload's never enters a shared cache.

The Review's figures depend only on the data set and the filters (ui.data_sources.shared), so a new visitor
reads what the first one computed (bench/load.py measures what that saves the server). An upload's figures
are kept with the upload: the caches every session reads never see a key naming it.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

import ui.data_sources as data_sources
from ui.state import StateKeys

from .conftest import fresh_session, metrics, upload
from .test_session_isolation import EXPORT_A, NAME, review_headline

Seen = list[tuple[str, str, bool]]  # (what, the data set's kind, computed here)


@pytest.fixture
def shared_calls(monkeypatch: pytest.MonkeyPatch) -> Seen:
    """Every call of the two shared caches from here on: what, the data set's kind, and whether it was computed
    (a miss) or read."""
    seen: Seen = []
    for name in ("_shared_data", "_shared_object"):
        cached = getattr(data_sources, name)

        def recording(what: str, data: tuple[str, str, str, str], arguments: str, _compute: Callable[[], Any],
                      cached: Any = cached) -> Any:
            computed = []
            value = cached(what, data, arguments, lambda: computed.append(True) or _compute())
            seen.append((what, data[0], bool(computed)))
            return value

        monkeypatch.setattr(data_sources, name, recording)
    return seen


def test_a_new_session_reads_the_review_the_first_one_computed(shared_calls: Seen):
    first = fresh_session()  # fills the caches, unless an earlier test of this process did
    asked = len(shared_calls)
    second = fresh_session()
    # The second session asks for the same figures (the headline, the tables, the charts, the coverage) and
    # computes none of them.
    again = shared_calls[asked:]
    assert {what for what, _, _ in again} == {what for what, _, _ in shared_calls[:asked]}
    assert any(what.endswith("review.headline") for what, _, _ in again)
    assert any(what == "figure:trend" for what, _, _ in again)
    assert [what for what, _, computed in again if computed] == []
    assert metrics(second) == metrics(first)


def test_an_uploads_figures_stay_with_the_upload(shared_calls: Seen):
    at = upload(fresh_session(), NAME, EXPORT_A)
    source = at.session_state[StateKeys.UPLOAD]
    shared_calls.clear()
    numbers = review_headline(at)
    assert (numbers["Clocks met"], numbers["Clocks breached"]) == ("8", "0")
    # Nothing of the upload went through a cache every session reads: it is all in the upload's own memo.
    assert [kind for _, kind, _ in shared_calls if kind != "sample"] == []
    kept = data_sources._UPLOAD_MEMO[source]
    assert any(what.endswith("review.headline") for what, _ in kept)
    assert any(what.startswith("table:") for what, _ in kept)
