"""What every page shares: the archive path, the filters kept in the URL, and cached reads of warehouse.queries.

Reads are cached for a few seconds only, so pages show what capture added since without hammering the file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from warehouse import queries
from warehouse.db import default_db_path
from warehouse.queries import Filters

CACHE_SECONDS = 10
LIVE_CACHE_SECONDS = 3  # the live page refreshes every few seconds while capture runs
ALL = "All"
# URL query parameter -> session-state key of its sidebar widget
PARAMS = {"chat": "f_chat", "from": "f_from", "to": "f_to", "platform": "f_platform"}


def archive_path() -> Path:
    return default_db_path()


def pseudonym_key() -> str | None:
    """The key for pseudonymized downloads; `tagtrail dashboard` passes the configured one in the environment."""
    return os.environ.get("TAGTRAIL_PSEUDONYM_KEY") or None


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def _read(name: str, db: str, args: tuple[Any, ...]) -> Any:
    return getattr(queries, name)(db, *args)


@st.cache_data(ttl=LIVE_CACHE_SECONDS, show_spinner=False)
def _read_live(name: str, db: str, args: tuple[Any, ...]) -> Any:
    return getattr(queries, name)(db, *args)


def read(query: Callable[..., pl.DataFrame], *args: Any, live: bool = False) -> pl.DataFrame:
    """Run one of warehouse.queries' functions on the archive, cached for a few seconds (fewer when live)."""
    return (_read_live if live else _read)(query.__name__, str(archive_path()), args)  # type: ignore[no-any-return]


@st.cache_data(ttl=2, show_spinner=False)
def _problem(db: str) -> str | None:
    return queries.archive_problem(db)


def archive_problem() -> str | None:
    return _problem(str(archive_path()))


def archive_or_stop() -> None:
    """Stop the page with a helpful message when there is nothing to show yet."""
    problem = archive_problem()
    if problem:
        st.info(problem, icon=":material/info:")
        st.stop()


def _parse_date(text: str | None) -> date | None:
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def filters() -> Filters:
    """Render the chat, date range and platform filters in the sidebar and return them.

    Every page shows the same filters. A shared link's query parameters set them; the values are mirrored in the
    URL and in the session, so they follow the user from page to page.
    """
    chats = read(queries.chats)["chat"].to_list()
    platforms = read(queries.platforms)["platform"].to_list()
    url = st.query_params
    kept = st.session_state.setdefault("filters_kept", {})
    choices = {"chat": [ALL, *chats], "platform": [ALL, *platforms]}
    for name, key in PARAMS.items():
        if key in st.session_state:
            continue
        if name in choices:
            value = url.get(name) if url.get(name) in choices[name] else kept.get(name, ALL)
            st.session_state[key] = value if value in choices[name] else ALL
        else:
            st.session_state[key] = _parse_date(url.get(name)) if name in url else kept.get(name)
    bar = st.sidebar
    bar.header("Filters")
    bar.selectbox("Chat", choices["chat"], key="f_chat")
    bar.date_input("Sessions from (UTC)", key="f_from", help="Leave empty for no lower bound.")
    bar.date_input("Sessions up to (UTC)", key="f_to", help="Leave empty for no upper bound.")
    bar.selectbox("Platform", choices["platform"], key="f_platform")
    for name, key in PARAMS.items():
        value = st.session_state[key]
        kept[name] = value
        text = value.isoformat() if isinstance(value, date) else (None if value in (ALL, None) else value)
        if text is None:
            if name in url:
                del url[name]
        elif url.get(name) != text:
            url[name] = text
    return Filters(
        chat=None if st.session_state.f_chat == ALL else st.session_state.f_chat,
        since=st.session_state.f_from,
        until=st.session_state.f_to,
        platform=None if st.session_state.f_platform == ALL else st.session_state.f_platform,
    )


def describe(f: Filters) -> str:
    """The filters in words, for captions under page titles."""
    parts = [f"chat {f.chat}" if f.chat else "all chats"]
    if f.since or f.until:
        parts.append(f"sessions {f.since or '…'} to {f.until or '…'}")
    if f.platform:
        parts.append(f"{f.platform} only")
    return ", ".join(parts)
