"""Every dashboard page, run by Streamlit's AppTest on a real built archive: the figures shown are the marts',
the filters change them and live in the URL, post text never becomes markup, and an empty or unbuilt archive
gets a helpful message instead of an exception."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from dashboard_archive import HOSTILE_AUTHOR, archive_without_chats, scenario_archive, unbuilt_archive
from factories import rows
from streamlit.testing.v1 import AppTest

from warehouse.reports import REPORTS

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"
PAGES = ["overview", "sessions", "participants", "network", "live", "capture"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return scenario_archive(tmp_path_factory.mktemp("dashboard"))


def open_page(db: Path, page: str, monkeypatch: pytest.MonkeyPatch, **params: str) -> AppTest:
    monkeypatch.setenv("TAGTRAIL_DB", str(db))
    at = AppTest.from_file(str(APP), default_timeout=60)
    for name, value in params.items():
        at.query_params[name] = value
    if page == "overview":
        at.run()  # app.py itself: the navigation opens on the overview
    else:
        at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_overview_shows_the_marts_figures(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = metrics(open_page(archive, "overview", monkeypatch))
    sessions, posts = rows(archive, "SELECT count(*), sum(posts) FROM session_stats")[0]
    participants = rows(archive, "SELECT count(*) FROM participants")[0][0]
    newcomers, returned = rows(archive, "SELECT count(*), count(*) FILTER (WHERE returned) FROM newcomer_outcomes")[0]
    assert shown["Sessions"] == str(sessions) == "3"
    assert shown["Posts"] == str(posts)
    assert shown["Participants"] == str(participants) == "6"  # host, ann, bob, cat, dan and eve
    assert shown["Newcomers"] == str(newcomers)
    assert shown["Newcomers who return"] == f"{returned / newcomers:.0%}"


def test_a_date_range_narrows_every_figure(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    everything = metrics(open_page(archive, "overview", monkeypatch))
    later = metrics(open_page(archive, "overview", monkeypatch, **{"from": "2026-03-10"}))
    posts = rows(archive, "SELECT sum(posts) FROM session_stats WHERE start_at >= '2026-03-10'")[0][0]
    assert later["Sessions"] == "2" and everything["Sessions"] == "3"
    assert later["Posts"] == str(posts) != everything["Posts"]
    first_only = open_page(archive, "participants", monkeypatch, to="2026-03-07")
    assert metrics(first_only)["Participants"] == "4"  # host, ann, bob and cat took part in the first session
    assert metrics(open_page(archive, "sessions", monkeypatch, to="2026-03-07"))["Sessions"] == "1"


def test_filters_set_in_the_sidebar_go_into_the_url_and_follow_to_other_pages(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(archive, "overview", monkeypatch)
    at.sidebar.date_input[0].set_value(date(2026, 3, 10)).run()
    assert at.query_params["from"] == "2026-03-10"
    assert metrics(at)["Sessions"] == "2"
    at.switch_page("pages/sessions.py").run()
    assert not at.exception
    assert metrics(at)["Sessions"] == "2"
    assert at.query_params["from"] == "2026-03-10"


def test_an_unknown_chat_or_platform_in_the_url_falls_back_to_all(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(archive, "overview", monkeypatch, chat="NoSuchChat", platform="fax", to="not-a-date")
    assert metrics(at)["Sessions"] == "3"
    mastodon = open_page(archive, "overview", monkeypatch, platform="mastodon")
    assert metrics(mastodon)["Sessions"] == "3"


def test_a_session_transcript_shows_threads_under_their_questions_as_plain_text(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(archive, "sessions", monkeypatch)
    at.main.selectbox[0].select("CTQCollab-2026-03-19").run()  # the host's Q1, cat's answer and eve's post
    body = at.get("html")[0].proto.body
    assert "Question 1 — Q1 - Last one: what did you learn?" in body
    assert "&lt;script&gt;window.__tagtrail_pwned" in body
    assert "<script" not in body and "javascript:" not in body.replace("javascript:window.__tagtrail_pwned=2", "")
    assert metrics(at)["Posts"] == "3"
    people = at.main.dataframe[1].value
    assert set(people["author_id"]) == {"host@a.social", "cat@b.social", HOSTILE_AUTHOR}


def test_the_first_session_lists_its_questions_in_order_with_replies_indented(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(archive, "sessions", monkeypatch)
    at.main.selectbox[0].select("CTQCollab-2026-03-05").run()
    body = at.get("html")[0].proto.body
    q1, a1, reply, q2 = (body.index(s) for s in ("Question 1 — Q1: What are you reading?", "A1 A novel",
                                                   "same here", "Question 2 — Q2) Favourite"))
    assert q1 < a1 < reply < q2
    assert body.index("Outside the questions") > q2  # cat's early post is talk outside the questions
    assert "margin-left:3.2em" in body  # bob's reply to ann's answer to Q1 sits two levels deep


def test_participants_page_lists_roles_and_a_persons_sessions(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(archive, "participants", monkeypatch)
    table = at.main.dataframe[0].value
    roles = dict(rows(archive, "SELECT author_id, role FROM participants"))
    assert dict(zip(table["author_id"], table["role"], strict=True)) == roles
    assert metrics(at)["Participants"] == str(len(roles))


def test_network_page_counts_people_and_reply_pairs(archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(archive, "network", monkeypatch)
    pairs, replies = rows(archive, "SELECT count(DISTINCT (source_author_id, target_author_id)), sum(count) "
                                   "FROM interactions WHERE kind = 'reply'")[0]
    shown = metrics(at)
    assert shown["Pairs who replied"] == str(pairs)
    assert shown["Replies between people"] == str(replies)
    box = at.main.selectbox[0]
    box.select("CTQCollab-2026-03-12").run()
    assert metrics(at)["People"] == "4"  # host, ann, bob, dan


def test_live_page_shows_the_latest_session_and_who_still_waits_for_a_reply(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(archive, "live", monkeypatch)
    shown = metrics(at)
    assert shown["Questions"] == "1" and shown["Posts"] == "3"
    waiting = at.get("html")[0].proto.body
    assert f"({HOSTILE_AUTHOR})" in waiting and "&lt;script" not in waiting and waiting.count("<li>") == 1


def test_capture_page_shows_the_sources_and_a_download_for_every_report(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(archive, "capture", monkeypatch)
    sources = at.main.dataframe[0].value
    assert set(sources["origin"]) == {"a.social", "b.social", "c.social"}
    assert sorted(b.label for b in at.get("download_button")) == sorted(f"{r}.csv" for r in REPORTS)
    assert at.checkbox[0].proto.disabled  # pseudonymizing needs a key, and none is set


@pytest.fixture(scope="module")
def not_ready(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("not-ready")
    return {"missing": tmp / "nothing.duckdb", "unbuilt": unbuilt_archive(tmp),
            "no chats": archive_without_chats(tmp)}


@pytest.mark.parametrize("page", PAGES)
def test_an_archive_that_is_missing_unbuilt_or_without_chats_gets_a_helpful_message(
    page: str, not_ready: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = open_page(not_ready["missing"], page, monkeypatch)
    assert "tagtrail import" in missing.info[0].body
    unbuilt = open_page(not_ready["unbuilt"], page, monkeypatch)
    assert "tagtrail build" in unbuilt.info[-1].body
    no_chats = open_page(not_ready["no chats"], page, monkeypatch)
    assert "no chat sessions yet" in no_chats.info[-1].body


def test_the_dashboards_marts_hold_the_known_answers(archive: Path) -> None:
    # session 2: of session 1's host, ann, bob and cat, three came again; session 3: of the five people of
    # sessions 1-2 (host, ann, bob, cat, dan) the host and cat came again
    assert rows(archive, "SELECT session_number, recent_participants, retained, rolling_retention "
                         "FROM session_retention ORDER BY 1") == [(1, 0, 0, None), (2, 4, 3, 0.75), (3, 5, 2, 0.4)]
    assert rows(archive, "SELECT minute::VARCHAR, posts, active_participants FROM session_minutes "
                         "WHERE session_id = 'CTQCollab-2026-03-19' ORDER BY minute") == [
        ("2026-03-20 00:00:00+00", 1, 1), ("2026-03-20 00:05:00+00", 1, 1), ("2026-03-20 00:10:00+00", 1, 1)]
    assert rows(archive, "SELECT sum(posts), count(DISTINCT author_id) FILTER (WHERE is_newcomer) "
                         "FROM participation_platforms") == rows(archive, "SELECT sum(posts), sum(newcomers) FROM session_stats")


def test_every_query_the_pages_run_is_registered_and_answers(archive: Path) -> None:
    from warehouse.queries import PAGE_QUERIES, Filters

    assert set(PAGE_QUERIES) == {"overview", "sessions", "participants", "network", "live"}
    for page, named in PAGE_QUERIES.items():
        for name, query in named:
            result = query(archive, Filters(chat="CTQCollab"))
            frames = result if isinstance(result, tuple) else (result,)
            assert all(frame.height > 0 for frame in frames), (page, name)


def placed(people: pl.DataFrame) -> dict[str, tuple[float, float]]:
    return {a: (x, y) for a, x, y in people.select("author_id", "x", "y").iter_rows() if x is not None}


def test_the_network_places_only_the_busiest_people_in_reply_pairs_the_same_way_every_time(archive: Path) -> None:
    from warehouse import queries

    people, pairs = queries.network_map(archive, queries.Filters())
    at = placed(people)
    # dan and eve never replied nor were replied to; host, ann and bob are in the two pairs
    assert set(at) == {"host@a.social", "ann@a.social", "bob@b.social"} and pairs.height == 2
    assert all(-1 <= v <= 1 for xy in at.values() for v in xy)
    assert queries.network_map(archive, queries.Filters())[0].equals(people)
    # the whole range is drawn where the build laid it out
    assert at == {a: (x, y) for a, x, y in rows(archive, "SELECT author_id, x, y FROM network_people "
                                                        "WHERE scope IS NULL AND x IS NOT NULL")}


def test_a_narrower_network_is_laid_out_when_asked_with_the_same_rule_as_the_builds(archive: Path) -> None:
    from warehouse import queries

    whole_people, whole_pairs = queries.network_map(archive, queries.Filters())
    # every session, but through a date range: summed and laid out at query time, the same people and pairs
    people, pairs = queries.network_map(archive, queries.Filters(since=date(2026, 3, 1)))
    assert people.drop("x", "y").equals(whole_people.drop("x", "y"))
    assert pairs.drop("x", "y", "x2", "y2").equals(whole_pairs.drop("x", "y", "x2", "y2"))
    assert set(placed(people)) == set(placed(whole_people))
    assert all(-1 <= v <= 1 for xy in placed(people).values() for v in xy)
    assert queries.network_map(archive, queries.Filters(since=date(2026, 3, 1)))[0].equals(people)
    # one session: ann answered the host's question, and only they are drawn
    people, pairs = queries.network_map(archive, queries.Filters(), "CTQCollab-2026-03-12")
    assert set(placed(people)) == {"host@a.social", "ann@a.social"}
    assert pairs.select("source_author_id", "target_author_id", "replies", "source_handle").rows() == [
        ("ann@a.social", "host@a.social", 1, "ann")]
    assert pairs["x"].is_not_null().all() and pairs["x2"].is_not_null().all()


def test_the_cap_on_drawn_people_holds_in_the_build_and_in_a_narrower_view(
    archive: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from factories import build_with, config_file

    from warehouse import layout, queries

    copy = tmp_path / "copy.duckdb"
    shutil.copy(archive, copy)
    narrower = queries.Filters(since=date(2026, 3, 1))
    # capped at the two busiest (host with 4 posts, bob with 3), who never replied to each other: nothing is drawn,
    # while the counts beside the drawing still hold every pair
    monkeypatch.setattr(layout, "DRAWN_PEOPLE", 2)
    build_with(copy, config_file(tmp_path))
    for f in (queries.Filters(), narrower):
        people, pairs = queries.network_map(copy, f)
        assert people["x"].is_not_null().sum() == 0 and pairs["x"].is_not_null().sum() == 0 and pairs.height == 2
    monkeypatch.setattr(layout, "DRAWN_PEOPLE", 3)
    build_with(copy, config_file(tmp_path))
    for f in (queries.Filters(), narrower):
        people, pairs = queries.network_map(copy, f)
        assert people["x"].is_not_null().sum() == 3 and pairs["x"].is_not_null().sum() == 2


@pytest.fixture(scope="module")
def mixed_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The chat on Mastodon (a.social) and on X at once."""
    from chat_scenario import write_instance_file
    from factories import build_with, config_file
    from test_import_mastodon import import_file
    from test_twitter_pipeline import import_x
    from x_chat_scenario import X_CONFIG, write_twarc_flat

    tmp = tmp_path_factory.mktemp("mixed")
    db = tmp / "mixed.duckdb"
    import_file(db, write_instance_file(tmp, "a.social"), "a.social")
    import_x(db, write_twarc_flat(tmp / "x.jsonl"))
    build_with(db, config_file(tmp, X_CONFIG))
    return db


def test_the_session_series_reads_the_same_figures_from_session_stats_as_from_participation(archive: Path) -> None:
    from warehouse import queries

    # the scenario is all Mastodon: every platform (session_stats) and Mastodon alone (participation) agree
    every = queries.session_series(archive, queries.Filters())
    assert every.height == 3 and every.equals(queries.session_series(archive, queries.Filters(platform="mastodon")))


def test_the_participants_table_counts_the_same_from_participation_as_per_platform(archive: Path) -> None:
    from warehouse import queries

    # every platform reads participation; a platform counts participation_platforms: one platform here, one answer
    for f in (queries.Filters(), queries.Filters(since=date(2026, 3, 10))):
        every = queries.participants_table(archive, f)
        assert every.height > 0
        assert every.equals(queries.participants_table(archive, queries.Filters(f.chat, f.since, f.until, "mastodon")))


def test_the_session_series_of_every_platform_equals_the_sum_over_each_platform(mixed_archive: Path) -> None:
    from warehouse import queries

    # every platform reads session_stats; one platform sums participation_platforms
    every = queries.session_series(mixed_archive, queries.Filters())
    each = pl.concat([queries.session_series(mixed_archive, queries.Filters(platform=p)) for p in ("mastodon", "x")])
    summed = each.group_by("chat", "session_id").agg(pl.col("posts").sum()).sort("session_id")
    assert every.height > 0 and summed.equals(every.select("chat", "session_id", "posts").sort("session_id"))


def test_the_platform_filter_shows_one_platforms_share_of_a_mixed_chat(
    mixed_archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    both = open_page(mixed_archive, "overview", monkeypatch)
    assert both.sidebar.selectbox[1].options == ["All", "mastodon", "x"]
    shown = {platform: metrics(open_page(mixed_archive, "overview", monkeypatch, platform=platform))
             for platform in ("mastodon", "x")}
    for platform, figures in shown.items():
        posts, people = rows(mixed_archive, "SELECT sum(posts), count(DISTINCT author_id) FROM participation_platforms "
                                            "WHERE platform = ?", [platform])[0]
        assert (figures["Posts"], figures["Participants"]) == (str(posts), str(people))
    assert int(shown["mastodon"]["Posts"]) + int(shown["x"]["Posts"]) == int(metrics(both)["Posts"])
    assert int(shown["x"]["Posts"]) > 0
