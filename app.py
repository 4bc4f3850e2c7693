"""SLA Board: `streamlit run app.py`.

The entry point draws what every page shares - sign-in (ui/access.py), navigation
(ui/registry.py), the data source picker and the filters (kept in the URL, so a filtered view
is a link) - and then runs the chosen page from pages/.
"""

import streamlit as st

from ui.access import signed_in_actor
from ui.registry import navigate
from ui.sidebar import draw_frame
from ui.state import StateKeys, init_state

st.set_page_config(page_title="SLA Board", page_icon=":material/timer:", layout="wide")
init_state()
actor = st.session_state[StateKeys.ACTOR] = signed_in_actor()  # with sign-in on, nothing is drawn before it
spec, page = navigate(actor)
draw_frame(spec)
try:
    page.run()
except Exception as err:  # st.stop() and st.rerun() are BaseExceptions and pass through
    # Bad data on one page must not look like a crashed app: say so here, keep the other pages usable.
    st.error(f"This page could not be drawn: {' '.join(str(err).split())[:300]}. The other pages still work.")
    with st.expander("Technical details"):
        st.exception(err)
