"""The floor of bench/load.py: what Streamlit itself costs a new session on this machine, one metric and nothing
else (the label the Review's headline carries, so both are timed to the same delta)."""

import streamlit as st

st.metric("Clocks met", 608)
