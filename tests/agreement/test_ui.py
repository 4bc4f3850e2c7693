"""ui/agreement.py on its own, as a page would call it: two download buttons for the policy's agreement."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    from sla_core.policy import load_policy
    from sla_core.vocab import DEFAULT_POLICY
    from ui.agreement import agreement_downloads

    agreement_downloads(load_policy(DEFAULT_POLICY), "policy.yaml")


def test_two_downloads_of_the_agreement() -> None:
    at = AppTest.from_function(_script, default_timeout=60).run()
    assert not at.exception
    assert at.download_button(key="agreement_md").label == "Download agreement (Markdown)"
    assert at.download_button(key="agreement_html").label == "Download agreement (HTML, to print)"
    assert len(at.get("download_button")) == 2 and len(at.columns) == 2  # side by side
