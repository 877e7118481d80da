"""Capture & export: what the collectors have stored, and every CSV report to download with the usual options."""

from dataclasses import asdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

import polars as pl
import streamlit as st

from dashboard import state
from warehouse.reports import REPORTS, export
from warehouse.status import archive_status

st.title("Capture & export")
db = state.archive_path()
if not db.exists():
    state.archive_or_stop()


@st.cache_data(ttl=state.CACHE_SECONDS, show_spinner=False)
def status(path: str) -> dict[str, pl.DataFrame]:
    st_ = archive_status(path)
    return {
        "sources": pl.DataFrame([asdict(s) for s in st_.sources]),
        "captures": pl.DataFrame([asdict(c) for c in st_.captures]),
        "chats": pl.DataFrame([asdict(c) for c in st_.chats]),
    }


st.subheader("What the archive holds")
tables = status(str(db))
st.markdown("**Sources** (records stored, rejected, posts served, posts only this origin served)")
if tables["sources"].is_empty():
    st.info("Nothing imported or captured yet.")
else:
    st.dataframe(tables["sources"], hide_index=True, width="stretch")
st.markdown("**Capture** (checkpoints, last success, last error)")
if tables["captures"].is_empty():
    st.caption("No capture has run on this archive.")
else:
    st.dataframe(tables["captures"], hide_index=True, width="stretch")
if not tables["chats"].is_empty():
    st.markdown("**Chats as last built**")
    st.dataframe(tables["chats"], hide_index=True, width="stretch")

st.subheader("Download reports")
state.archive_or_stop()
f = state.filters()
key = state.pseudonym_key()
left, right = st.columns(2)
pseudonymize = left.checkbox(
    "Pseudonymize people and posts", disabled=key is None,
    help="Stable keyed hashes instead of ids, handles and names; URLs left out."
    + ("" if key else " Needs TAGTRAIL_PSEUDONYM_KEY (or pseudonym_key in the config) when the dashboard starts."),
)
excel = right.checkbox("For Excel (byte-order mark)")
st.caption(f"Every report for {state.describe(f)}; the platform filter does not apply to reports.")


def _utc(day: date | None, days_later: int = 0) -> datetime | None:
    return datetime.combine(day + timedelta(days=days_later), time(), UTC) if day else None


def _report_bytes(report: str) -> bytes:
    with TemporaryDirectory() as tmp:
        out = Path(tmp) / f"{report}.csv"
        export(db, report, out, chat=f.chat, since=_utc(f.since), until=_utc(f.until, 1),
               pseudonymize_key=key if pseudonymize else None, excel=excel)
        return out.read_bytes()


cols = st.columns(4)
for i, report in enumerate(REPORTS):
    cols[i % 4].download_button(
        f"{report}.csv", data=lambda report=report: _report_bytes(report), file_name=f"{report}.csv",
        mime="text/csv", key=f"download-{report}", on_click="ignore", icon=":material/download:",
    )
