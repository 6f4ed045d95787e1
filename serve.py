"""The server `make run` starts: Streamlit's pages (app.py, pages/) plus the read-only data URLs
of lib/data_api.py (/api/events.csv, /api/events.json, /api/codebook.json)."""

import streamlit as st

from lib.data_api import routes

app = st.App("app.py", routes=routes())
