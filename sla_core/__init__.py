"""SLA Board's core: every SLA rule, computed in DuckDB. Imports nothing from Streamlit."""

__version__ = "0.1.0"
