"""The tagtrail dashboard: wires the pages together (one file each under pages/; filters in dashboard/state.py).

Run it with `tagtrail dashboard` (or `streamlit run dashboard/app.py` with TAGTRAIL_DB set).
"""

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts only this folder on the path; the project root holds the warehouse package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

st.set_page_config(page_title="tagtrail", page_icon=":material/tag:", layout="wide")
PAGES = Path(__file__).parent / "pages"
navigation = st.navigation([
    st.Page(PAGES / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
    st.Page(PAGES / "sessions.py", title="Sessions", icon=":material/event:"),
    st.Page(PAGES / "participants.py", title="Participants", icon=":material/group:"),
    st.Page(PAGES / "network.py", title="Conversation network", icon=":material/hub:"),
    st.Page(PAGES / "live.py", title="Live", icon=":material/radio_button_checked:"),
    st.Page(PAGES / "capture.py", title="Capture & export", icon=":material/download:"),
])
navigation.run()
