"""The X staging models on the real recorded files: twarc2 pages and their flattening agree, an edit is one post,
v1.1 retweets are boosts of the embedded original, TAGS rows keep their exact ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from factories import build_with, rows

from collectors.archives.problems import LineError
from collectors.archives.twitter_files import read
from tagtrail.config import Config
from tests.servers.x_replay import FIXTURES
from warehouse.archive import Archive


def load(db: Path, *paths: Path) -> None:
    archive = Archive(db)
    for path in paths:
        items = list(read(path))
        assert not [i for i in items if isinstance(i, LineError)]
        archive.write([i for i in items if not isinstance(i, LineError)])
    build_with(db, Config())


@pytest.fixture(scope="module")
def twarc2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("twarc2") / "t.duckdb"
    load(db, FIXTURES / "twarc2_noflat.jsonl", FIXTURES / "twarc2_flat.jsonl")
    return db


def test_a_page_and_its_flattening_give_the_same_tweets(twarc2: Path) -> None:
    page = json.loads((FIXTURES / "twarc2_noflat.jsonl").read_text(encoding="utf-8"))
    ids = {f"x:{t['id']}" for t in page["data"]}
    columns = """post_id, author_id, author_handle, created_at, text, in_reply_to_post_id, in_reply_to_author_id,
                 conversation_id, boost_of_post_id, quote_of_post_id, hashtags, mentions, replies_count,
                 boosts_count, favourites_count"""
    by_page = rows(
        twarc2,
        f"SELECT {columns} FROM stg_twitter_posts s JOIN raw_records r USING (raw_id) "
        "WHERE r.kind = 'page' AND s.richness = 10 ORDER BY post_id",
    )
    by_flat = rows(
        twarc2,
        f"SELECT {columns} FROM stg_twitter_posts s JOIN raw_records r USING (raw_id) "
        "WHERE r.kind = 'tweet_flat' AND s.richness = 10 ORDER BY post_id",
    )
    assert {r[0] for r in by_page} == ids and len(by_page) == 100
    assert by_page == by_flat  # mentions resolved through includes.users equal twarc's inline user ids


def test_real_replies_retweets_and_quotes_link_by_id(twarc2: Path) -> None:
    [(author, parent, parent_author, conversation, mentions)] = rows(
        twarc2,
        """SELECT author_id, in_reply_to_post_id, in_reply_to_author_id, conversation_id, mentions
           FROM posts WHERE post_id = 'x:1380242586288328707'""",
    )
    assert (author, parent, parent_author) == ("1910479285", "x:1380229267770933248", "1142605723601264640")
    assert conversation == "x:1380220754978086917" and mentions == ["1142605723601264640", "592730371"]
    [(boost,)] = rows(twarc2, "SELECT boost_of_post_id FROM posts WHERE post_id = 'x:1380242611781386245'")
    assert boost == "x:1380175475545362437"
    [(original_author, context)] = rows(
        twarc2, "SELECT author_id, is_context FROM posts WHERE post_id = 'x:1380175475545362437'"
    )
    assert (original_author, context) == ("2718660392", True)  # the retweeted tweet, from includes
    [(quotes, authors)] = rows(
        twarc2,
        "SELECT count(*) FILTER (WHERE quote_of_post_id IS NOT NULL), count(DISTINCT author_id) FROM posts",
    )
    assert quotes > 0 and authors > 100
    [(handle, bio)] = rows(twarc2, "SELECT handle, note FROM authors WHERE author_id = '2718660392'")
    assert handle == "williamserafino" and bio.startswith("Escribo e investigo")


def test_an_edited_tweet_is_one_post_with_the_latest_text(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    load(db, FIXTURES / "twarc2_edited_before.jsonl", FIXTURES / "twarc2_edited_after.jsonl")
    [(post_id, created, edited, text, conversation)] = rows(
        db, "SELECT post_id, created_at, edited_at, text, conversation_id FROM posts"
    )
    assert post_id == "x:1576994746135764992"
    assert (created.isoformat(), edited.isoformat()) == (
        "2022-10-03T17:57:01+00:00",
        "2022-10-03T17:57:11+00:00",
    )
    assert text.startswith("hey :)") and conversation == post_id


def test_v1_retweets_are_boosts_of_the_embedded_original(tmp_path: Path) -> None:
    body = json.loads((FIXTURES / "testsearchtweets.json").read_text())["interactions"][0]["response"]["body"]
    statuses = json.loads(body["string"])["statuses"]
    path = tmp_path / "v1.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in statuses), encoding="utf-8")
    db = tmp_path / "t.duckdb"
    load(db, path)

    retweets = [s for s in statuses if "retweeted_status" in s]
    assert retweets
    for s in retweets:
        [(boost, author, handle)] = rows(
            db,
            "SELECT boost_of_post_id, author_id, author_handle FROM post_versions WHERE post_id = ? AND richness = 7",
            [f"x:{s['id_str']}"],
        )
        assert (boost, author, handle) == (
            f"x:{s['retweeted_status']['id_str']}",
            s["user"]["id_str"],
            s["user"]["screen_name"],
        )
        [(original_author,)] = rows(db, "SELECT author_id FROM posts WHERE post_id = ?", [boost])
        assert original_author == s["retweeted_status"]["user"]["id_str"]
    first = statuses[0]
    [(created, mentions)] = rows(
        db, "SELECT created_at, mentions FROM posts WHERE post_id = ?", [f"x:{first['id_str']}"]
    )
    assert created.strftime("%a %b %d %H:%M:%S +0000 %Y") == first["created_at"]
    assert mentions == [m["id_str"] for m in first["entities"]["user_mentions"]]


def test_real_tags_rows_stage_with_exact_ids_and_hashtags(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    load(db, FIXTURES / "tags_sample-data.csv")
    got = rows(
        db, "SELECT post_id, author_id, hashtags, boost_of_post_id, mentions FROM posts ORDER BY post_id"
    )
    assert len(got) == 10
    by_id = {r[0]: r for r in got}
    assert by_id["x:1248064163211096064"][1:] == (
        "1245077697686130689",
        ["aect19"],
        "x:unknown-retweet-of:@dtpthanh",
        ["991017763824025600", "2896012002"],
    )
    own = [r for r in got if r[3] is None]
    assert [r[0] for r in own] == [
        "x:1225122317849657345",
        "x:1227652243870097408",
    ]  # the two that are not RTs
