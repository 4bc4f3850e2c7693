"""The SLA agreement's downloads: the policy in force as the one page a team signs, in Markdown and in HTML
(sla_core.present.agreement, as `python -m sla_core template` writes it)."""

from __future__ import annotations

import streamlit as st

from sla_core.policy import Policy
from sla_core.present.agreement import AGREEMENT_FILES, agreement_html, agreement_markdown


def agreement_downloads(policy: Policy, source: str = "", key: str = "agreement") -> None:
    """Two download buttons side by side, built when clicked: the agreement as Markdown (a wiki, a pull
    request) and as HTML (print it on one A4 page and sign). `source` names the policy file on the page."""
    markdown_column, html_column = st.columns(2)
    markdown_column.download_button(
        "Download agreement (Markdown)", key=f"{key}_md", icon=":material/description:",
        data=lambda: agreement_markdown(policy, source).encode("utf-8"), file_name=AGREEMENT_FILES["md"],
        mime="text/markdown", on_click="ignore",
        help="The policy as the agreement support, product and engineering sign: tiers with examples, targets "
             "and calendars, routes, the triage checklist, playbooks and the review cadence.",
    )
    html_column.download_button(
        "Download agreement (HTML, to print)", key=f"{key}_html", icon=":material/print:",
        data=lambda: agreement_html(policy, source).encode("utf-8"), file_name=AGREEMENT_FILES["html"],
        mime="text/html", on_click="ignore",
        help="The same agreement as one page to print (A4) and sign.",
    )
