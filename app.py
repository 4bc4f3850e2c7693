"""SLA Board: `streamlit run app.py`.

The entry point draws what every page shares - navigation, the data source
picker and the filters (kept in the URL, so a filtered view is a link) - and
then runs the chosen page.
"""

from pathlib import Path

import streamlit as st

from app_state import StateKeys, init_state, safe_policy, sidebar_filters, source_picker

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="SLA Board", page_icon=":material/timer:", layout="wide")
init_state()

review_page = st.Page("pages/review.py", title="Review", icon=":material/monitoring:", default=True)
queue_page = st.Page("pages/breach_queue.py", title="Breach queue", icon=":material/alarm:")
upload_page = st.Page("pages/upload.py", title="Upload", icon=":material/upload:")
pages = [review_page, queue_page]
if (HERE / "pages" / "simulator.py").is_file():
    pages.append(st.Page("pages/simulator.py", title="Rubric simulator", icon=":material/tune:"))
pages.append(upload_page)
page = st.navigation(pages)

st.sidebar.markdown("### SLA Board")
policy = safe_policy()
if policy is None:
    st.stop()
source = source_picker(policy)
if source is not None and page.title != upload_page.title:
    filters = sidebar_filters(source, with_period=page.title != queue_page.title)
else:
    filters = st.session_state[StateKeys.FILTERS]
st.session_state[StateKeys.ACTIVE_SOURCE] = source
st.session_state[StateKeys.ACTIVE_FILTERS] = filters
page.run()
