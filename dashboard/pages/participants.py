"""Participants: who takes part, in which role; one person's sessions; retention by first-session cohort."""

import altair as alt
import streamlit as st

from dashboard import state
from warehouse import queries

st.title("Participants")
state.archive_or_stop()
f = state.filters()
st.caption(state.describe(f) + " · roles and totals are over the whole chat")

people = state.read(queries.participants_table, f)
if people.is_empty():
    st.info("Nobody took part in a session matching these filters. Widen the date range or choose another chat.")
    st.stop()
st.metric("Participants", f"{people.height:,}")
st.dataframe(people, hide_index=True, width="stretch", column_config={
    "attendance_share": st.column_config.NumberColumn("Attendance share", format="percent"),
    "first_post_at": st.column_config.DatetimeColumn("First post (UTC)", format="YYYY-MM-DD HH:mm"),
    "last_post_at": st.column_config.DatetimeColumn("Last post (UTC)", format="YYYY-MM-DD HH:mm"),
})

rows = people.rows(named=True)
chosen = st.selectbox("Person", range(len(rows)),
                      format_func=lambda i: f"{rows[i]['handle'] or rows[i]['author_id']} ({rows[i]['author_id']}, "
                                            f"{rows[i]['chat']}, {rows[i]['role']})")
person = rows[chosen]
timeline = state.read(queries.participant_timeline, person["chat"], person["author_id"])
st.altair_chart(
    alt.Chart(timeline, title=f"Sessions of {person['handle'] or person['author_id']} in {person['chat']}")
    .mark_bar()
    .encode(
        x=alt.X("start_at:T", title="Session start (UTC)", scale=alt.Scale(type="utc")),
        y=alt.Y("posts:Q", title="Posts in the session"),
        color=alt.Color("is_newcomer:N", title="First session"),
        tooltip=[alt.Tooltip("session_id:N", title="Session"), alt.Tooltip("posts:Q", title="Posts"),
                 alt.Tooltip("replies_sent:Q", title="Replies sent"),
                 alt.Tooltip("replies_received:Q", title="Replies received"),
                 alt.Tooltip("answers:Q", title="Answers")],
    ),
    width="stretch",
)

heat = state.read(queries.retention_heatmap, f)
if heat.is_empty():
    st.info("No cohort has had a later session yet, so there is no retention to show.")
else:
    st.altair_chart(
        alt.Chart(heat, title="Retention by first-session cohort: share present N sessions later")
        .mark_rect()
        .encode(
            x=alt.X("sessions_later:O", title="Sessions later"),
            y=alt.Y("utcyearmonthdate(cohort_start_at):O", title="Cohort (first session, UTC)"),
            color=alt.Color("share:Q", title="Share present", scale=alt.Scale(domain=[0, 1], scheme="blues"),
                            legend=alt.Legend(format="%")),
            tooltip=[alt.Tooltip("chat:N", title="Chat"), alt.Tooltip("cohort_session:N", title="Cohort"),
                     alt.Tooltip("cohort_size:Q", title="Cohort size"),
                     alt.Tooltip("sessions_later:O", title="Sessions later"),
                     alt.Tooltip("present:Q", title="Present"), alt.Tooltip("share:Q", title="Share", format=".0%")],
        ),
        width="stretch",
    )
