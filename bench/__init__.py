"""Pistas benchmark: DuckDB query layer and Streamlit pages vs the usual pandas approach (see README.md)."""
