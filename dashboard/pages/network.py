"""Conversation network: who replies to whom in a session or a date range, and the busiest pairs."""

import altair as alt
import streamlit as st

from dashboard import state
from warehouse import layout, queries

st.title("Conversation network")
state.archive_or_stop()
f = state.filters()
st.caption(state.describe(f))

sessions = state.read(queries.sessions_table, f)
options = [None, *sessions["session_id"].to_list()]
session_id = st.selectbox("Session", options, format_func=lambda s: "All sessions in range" if s is None else s)

nodes, links = state.read(queries.network_map, f, session_id)
if nodes.is_empty():
    st.info("Nobody took part in a session matching these filters.")
    st.stop()
cols = st.columns(3)
cols[0].metric("People", f"{nodes.height:,}")
cols[1].metric("Pairs who replied", f"{links.height:,}")
cols[2].metric("Replies between people", f"{int(links['replies'].sum() or 0):,}")

graph, pairs = st.columns([3, 2])
edges_layer = (
    alt.Chart(links.drop_nulls(["x", "x2"]))
    .mark_rule(opacity=0.35)
    .encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None), x2="x2:Q", y2="y2:Q",
        strokeWidth=alt.StrokeWidth("replies:Q", title="Replies", scale=alt.Scale(range=[0.5, 5])),
        tooltip=[alt.Tooltip("source_handle:N", title="From"), alt.Tooltip("target_handle:N", title="To"),
                 alt.Tooltip("replies:Q", title="Replies")],
    )
)
nodes_layer = (
    alt.Chart(nodes.drop_nulls("x"))
    .mark_circle(opacity=0.9, stroke="white", strokeWidth=0.5)
    .encode(
        x=alt.X("x:Q", axis=None), y=alt.Y("y:Q", axis=None),
        size=alt.Size("posts:Q", title="Posts", scale=alt.Scale(range=[30, 900])),
        color=alt.Color("role:N", title="Role", scale=alt.Scale(
            domain=["host", "core", "regular", "occasional", "one-time"],
            range=["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9e9e9e"])),
        tooltip=[alt.Tooltip("handle:N", title="Person"), alt.Tooltip("author_id:N", title="Id"),
                 alt.Tooltip("role:N", title="Role"), alt.Tooltip("posts:Q", title="Posts")],
    )
)
graph.altair_chart(
    alt.layer(edges_layer, nodes_layer, title="Who replies to whom (size: posts, colour: role)")
    .properties(height=560),
    width="stretch",
)
lone = nodes["x"].null_count()
if lone:
    graph.caption(f"{lone:,} people are not drawn: those who neither sent nor received a reply here and, past the "
                  f"{layout.DRAWN_PEOPLE} busiest, the quieter ones.")
pairs.markdown("**Top pairs**")
pairs.dataframe(links.select("source_handle", "target_handle", "replies").head(50), hide_index=True,
                width="stretch", column_config={"source_handle": "From", "target_handle": "To",
                                                         "replies": "Replies"})
