"""The app's pages, once: what app.py navigates between and what each page's sidebar offers.

Adding a page is one entry here and its file in pages/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from sla_core.access import Actor, Role

# Which shared filters a page's sidebar offers: all of them, all but the month (a page that is always "now"),
# or none (a page that picks its own period, or needs none).
FilterSet = Literal["all", "no_month", "none"]


@dataclass(frozen=True)
class PageSpec:
    name: str  # the file pages/<name>.py, and its URL path
    title: str
    icon: str
    filters: FilterSet = "all"
    note: str = ""  # shown in the sidebar where the filters would be
    role: Role = "viewer"  # the least role that sees the page (sla_core.access)

    @property
    def path(self) -> str:
        return f"pages/{self.name}.py"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("review", "Review", ":material/monitoring:"),
    PageSpec("breach_queue", "Breach queue", ":material/alarm:", filters="no_month"),
    PageSpec("insights", "Beyond the timers", ":material/insights:"),
    PageSpec("feedback", "Incident feedback", ":material/rate_review:"),
    PageSpec("simulator", "Rubric simulator", ":material/tune:", filters="none",
             note="The review filters do not apply here: the simulator picks its own period."),
    PageSpec("upload", "Upload", ":material/upload:", filters="none", role="admin"),
)
BY_NAME = {spec.name: spec for spec in PAGES}


def navigate(actor: Actor) -> tuple[PageSpec, StreamlitPage]:
    """st.navigation over every page the actor's role sees; the chosen page's spec and its page, to run."""
    pages = [(spec, st.Page(spec.path, title=spec.title, icon=spec.icon, default=spec is PAGES[0]))
             for spec in PAGES if actor.can(spec.role)]
    chosen = st.navigation([page for _, page in pages])
    spec = next(spec for spec, page in pages if page is chosen)  # st.navigation returns one of the pages given
    return spec, chosen
