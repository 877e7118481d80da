"""Live: the running session (or the latest one) minute by minute, refreshing itself while capture runs."""

import html

import altair as alt
import streamlit as st

from dashboard import state
from warehouse import queries

REFRESH_SECONDS = 5

st.title("Live")
state.archive_or_stop()
f = state.filters()
st.caption(f"{'chat ' + f.chat if f.chat else 'all chats'} · refreshes every {REFRESH_SECONDS} s "
           "(the figures are those of the last `tagtrail build`)")


@st.fragment(run_every=REFRESH_SECONDS)
def live_view() -> None:
    latest = state.read(queries.live_session, f, live=True)
    if latest.is_empty():
        st.info("This chat has no session yet.")
        return
    s = latest.row(0, named=True)
    if s["running"]:
        st.subheader(f":red[●] {s['chat']} — session running since {s['start_at']:%H:%M} UTC")
    else:
        st.subheader(f"{s['chat']} — no session running; the latest began {s['start_at']:%Y-%m-%d %H:%M} UTC")
    minutes = state.read(queries.live_minutes, s["chat"], s["session_id"], live=True)
    cols = st.columns(5)
    cols[0].metric("Posts", f"{s['posts']:,}")
    cols[1].metric("Participants", f"{s['participants']:,}")
    cols[2].metric("Newcomers", f"{s['newcomers']:,}")
    cols[3].metric("Questions", f"{s['questions']:,}")
    last = minutes.row(-1, named=True) if minutes.height else None
    cols[4].metric("Active in the last minute seen", f"{last['active_participants']:,}" if last else "0")
    pulse = minutes.unpivot(index="minute", on=["posts", "active_participants"], variable_name="measure",
                            value_name="count")
    st.altair_chart(
        alt.Chart(pulse, title="Posts and active participants per minute")
        .mark_line(point=True)
        .encode(
            x=alt.X("minute:T", title="Minute (UTC)", scale=alt.Scale(type="utc"), axis=alt.Axis(format="%H:%M")),
            y=alt.Y("count:Q", title="Count"),
            color=alt.Color("measure:N", title=""),
            tooltip=[alt.Tooltip("utchoursminutes(minute):T", title="Minute (UTC)", format="%H:%M"), alt.Tooltip("measure:N", title=""),
                     alt.Tooltip("count:Q", title="Count")],
        ),
        width="stretch",
    )
    left, right = st.columns(2)
    left.markdown("**Questions and their answers**")
    left.dataframe(state.read(queries.session_questions, s["chat"], s["session_id"], live=True), hide_index=True,
                   width="stretch")
    right.markdown("**Who notices? Newcomers whose posts have no reply yet**")
    waiting = state.read(queries.unanswered_newcomers, s["chat"], s["session_id"], live=True)
    if waiting.is_empty():
        right.success("Every newcomer in this session has had a reply.")
    else:
        # names are the users' own: escaped, shown as text
        items = "".join(
            f"<li><b>{html.escape(w['handle'] or '')}</b> ({html.escape(w['author_id'])}): {w['posts']} post(s), "
            f"first at {w['first_post_at']:%H:%M} UTC"
            + (f", waiting {w['minutes_waiting']} min" if s["running"] else "") + "</li>"
            for w in waiting.rows(named=True)
        )
        right.html(f"<ul class='waiting'>{items}</ul>")

live_view()
