"""SLA Board: `streamlit run app.py`.

The entry point draws what every page shares - navigation, the data source
picker and the filters (kept in the URL, so a filtered view is a link) - and
then runs the chosen page.
"""

import streamlit as st

from app_state import draw_frame, init_state

st.set_page_config(page_title="SLA Board", page_icon=":material/timer:", layout="wide")
init_state()

review_page = st.Page("pages/review.py", title="Review", icon=":material/monitoring:", default=True)
queue_page = st.Page("pages/breach_queue.py", title="Breach queue", icon=":material/alarm:")
upload_page = st.Page("pages/upload.py", title="Upload", icon=":material/upload:")
simulator_page = st.Page("pages/simulator.py", title="Rubric simulator", icon=":material/tune:")
pages = [
    review_page,
    queue_page,
    st.Page("pages/insights.py", title="Beyond the timers", icon=":material/insights:"),
    st.Page("pages/feedback.py", title="Incident feedback", icon=":material/rate_review:"),
    simulator_page,
    upload_page,
]
page = st.navigation(pages)

kinds = {review_page.title: "review", queue_page.title: "queue", upload_page.title: "upload", simulator_page.title: "simulator"}
draw_frame(kinds.get(page.title, "other"))
try:
    page.run()
except Exception as err:  # st.stop() and st.rerun() are BaseExceptions and pass through
    # Bad data on one page must not look like a crashed app: say so here, keep the other pages usable.
    st.error(f"This page could not be drawn: {' '.join(str(err).split())[:300]}. The other pages still work.")
    with st.expander("Technical details"):
        st.exception(err)
