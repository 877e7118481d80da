"""Overview: a chat's figures for the chosen range and its participation over time."""

import altair as alt
import streamlit as st

from dashboard import state
from warehouse import queries

st.title("Overview")
state.archive_or_stop()
f = state.filters()
st.caption(state.describe(f))

figures = state.read(queries.overview_figures, f).row(0, named=True)
if not figures["sessions"]:
    st.info("No sessions match these filters. Widen the date range or choose another chat or platform.")
    st.stop()
cols = st.columns(5)
cols[0].metric("Sessions", f"{figures['sessions']:,}")
cols[1].metric("Posts", f"{figures['posts']:,}")
cols[2].metric("Participants", f"{figures['participants']:,}")
cols[3].metric("Newcomers", f"{figures['newcomers']:,}")
share = figures["newcomer_return_share"]
cols[4].metric("Newcomers who return", "–" if share is None else f"{share:.0%}",
               help="Of the people whose first session is in range, the share who came to a later session.")

series = state.read(queries.session_series, f)
people = series.unpivot(
    index=["chat", "session_id", "start_at"], on=["newcomers", "returning"], variable_name="who",
    value_name="people",
)
tooltip_session = [alt.Tooltip("chat:N", title="Chat"), alt.Tooltip("utcyearmonthdatehoursminutes(start_at):T", title="Session start (UTC)", format="%Y-%m-%d %H:%M")]
participants_chart = (
    alt.Chart(people, title="Participants per session: newcomers and returning members")
    .mark_bar()
    .encode(
        x=alt.X("start_at:T", title="Session start (UTC)", scale=alt.Scale(type="utc")),
        y=alt.Y("people:Q", title="Participants", stack="zero"),
        color=alt.Color("who:N", title="", scale=alt.Scale(domain=["returning", "newcomers"])),
        tooltip=[*tooltip_session, alt.Tooltip("who:N", title="Who"), alt.Tooltip("people:Q", title="People")],
    )
)
st.altair_chart(participants_chart, width="stretch")

left, right = st.columns(2)
posts_chart = (
    alt.Chart(series, title="Posts per session")
    .mark_line(point=True)
    .encode(
        x=alt.X("start_at:T", title="Session start (UTC)", scale=alt.Scale(type="utc")),
        y=alt.Y("posts:Q", title="Posts"),
        color=alt.Color("chat:N", title="Chat"),
        tooltip=[*tooltip_session, alt.Tooltip("posts:Q", title="Posts")],
    )
)
left.altair_chart(posts_chart, width="stretch")
retention_chart = (
    alt.Chart(series.drop_nulls("rolling_retention"),
              title="Rolling retention: share of the previous four sessions' people who came again")
    .mark_line(point=True)
    .encode(
        x=alt.X("start_at:T", title="Session start (UTC)", scale=alt.Scale(type="utc")),
        y=alt.Y("rolling_retention:Q", title="Share returning", axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        color=alt.Color("chat:N", title="Chat"),
        tooltip=[*tooltip_session, alt.Tooltip("rolling_retention:Q", title="Retention", format=".0%")],
    )
)
right.altair_chart(retention_chart, width="stretch")
