"""Sessions: the table of sessions; one session's transcript as threads, its people and its figures."""

import html

import streamlit as st

from dashboard import state
from warehouse import queries

st.title("Sessions")
state.archive_or_stop()
f = state.filters()
st.caption(state.describe(f))

table = state.read(queries.sessions_table, f)
if table.is_empty():
    st.info("No sessions match these filters. Widen the date range or choose another chat or platform.")
    st.stop()
st.metric("Sessions", f"{table.height:,}")
st.dataframe(table, hide_index=True, width="stretch", column_config={
    "start_at": st.column_config.DatetimeColumn("Start (UTC)", format="YYYY-MM-DD HH:mm"),
    "end_at": st.column_config.DatetimeColumn("End (UTC)", format="YYYY-MM-DD HH:mm"),
    "median_first_reply_minutes": st.column_config.NumberColumn("Median first reply (min)"),
})

rows = {r["session_id"]: r for r in table.rows(named=True)}  # session ids start with their chat's name
# the chosen session goes into the URL too, so a link can point at one transcript
wanted = st.query_params.get("session")
chosen = st.selectbox(
    "Session", list(rows), index=list(rows).index(wanted) if wanted in rows else 0,
    format_func=lambda s: f"{rows[s]['chat']} — {rows[s]['start_at']:%Y-%m-%d %H:%M} UTC ({rows[s]['posts']} posts)",
)
st.query_params["session"] = chosen
session = rows[chosen]
chat, session_id = session["chat"], chosen

st.subheader(f"{chat}, session {session['session_number']}: {session['start_at']:%A %Y-%m-%d %H:%M} UTC")
cols = st.columns(6)
for col, (label, key) in zip(cols, [("Posts", "posts"), ("Participants", "participants"), ("Newcomers", "newcomers"),
                                    ("Replies", "replies"), ("Questions", "questions"), ("Answers", "answers")],
                             strict=True):
    col.metric(label, f"{session[key]:,}")

transcript_tab, people_tab = st.tabs(["Transcript", "Who took part"])
with transcript_tab:
    posts = state.read(queries.session_transcript, chat, session_id)
    questions = {q["number"]: q["text"] for q in state.read(queries.session_questions, chat, session_id).rows(named=True)}
    # Post text is the user's, so every piece of it is escaped: it is shown as text, never run as markup.
    parts: list[str] = []
    section = object()
    for p in posts.rows(named=True):
        if p["section"] != section:
            section = p["section"]
            heading = (f"Question {section} — {questions.get(section) or ''}" if section is not None
                       else "Outside the questions")
            parts.append(f"<h4 style='margin:1.2em 0 0.4em'>{html.escape(heading)}</h4>")
        marker = " · question" if p["is_question"] else (
            f" · answers Q{p['answers_question']}" if p["answers_question"] is not None else "")
        parts.append(
            f"<div class='post' style='margin-left:{min(p['level'], 12) * 1.6}em;border-left:3px solid #ddd;"
            f"padding:0.2em 0.6em;margin-bottom:0.4em'>"
            f"<div style='color:#666;font-size:0.85em'>{html.escape(p['handle'] or p['author_id'] or '')}"
            f" · {p['created_at']:%H:%M} UTC{html.escape(marker)}</div>"
            f"<div style='white-space:pre-wrap'>{html.escape(p['text'] or '')}</div></div>"
        )
    st.html("<div class='transcript'>" + "".join(parts) + "</div>")
with people_tab:
    st.dataframe(state.read(queries.session_people, chat, session_id), hide_index=True, width="stretch")
