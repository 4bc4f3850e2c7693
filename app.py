"""SLA Board: `streamlit run app.py`.

The entry point draws what every page shares - navigation, the data source
picker and the filters (kept in the URL, so a filtered view is a link) - and
then runs the chosen page.
"""

from pathlib import Path

import streamlit as st

from app_state import draw_frame, init_state

HERE = Path(__file__).resolve().parent

st.set_page_config(page_title="SLA Board", page_icon=":material/timer:", layout="wide")
init_state()

review_page = st.Page("pages/review.py", title="Review", icon=":material/monitoring:", default=True)
queue_page = st.Page("pages/breach_queue.py", title="Breach queue", icon=":material/alarm:")
upload_page = st.Page("pages/upload.py", title="Upload", icon=":material/upload:")
# Pages other issues add are listed once their file exists.
optional = [
    ("insights.py", "Beyond the timers", ":material/insights:"),
    ("feedback.py", "Incident feedback", ":material/rate_review:"),
    ("simulator.py", "Rubric simulator", ":material/tune:"),
]
pages = [review_page, queue_page]
pages += [st.Page(f"pages/{file}", title=title, icon=icon) for file, title, icon in optional
          if (HERE / "pages" / file).is_file()]
pages.append(upload_page)
page = st.navigation(pages)

draw_frame({review_page.title: "review", queue_page.title: "queue", upload_page.title: "upload"}.get(page.title, "other"))
page.run()
