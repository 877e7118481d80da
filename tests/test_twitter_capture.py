"""X capture: tweepy's real Client and Paginator against a 127.0.0.1 server replaying recorded v2 responses."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from collectors.records import Checkpoint
from collectors.twitter import (
    ORIGIN,
    SOURCE,
    TOKEN_ENV,
    TwitterCaptureError,
    capture,
    fetch_context,
    follow,
    hashtag_query,
    make_client,
    missing_parents,
    page_facts,
)
from tests.memory_archive import MemoryArchive
from tests.servers.x_replay import FIXTURES, Recorded, Reply, Seen, XReplay, load_cassette

TOKEN = "AAAA-test-bearer-secret-0123456789"
RECENT = "/2/tweets/search/recent"
ALL = "/2/tweets/search/all"
LOOKUP = "/2/tweets"
NOW = 1_700_000_000.0
QUERY = "Tweepy"


def recorded(name: str) -> Recorded:
    return load_cassette(FIXTURES / f"test_client_{name}.yaml")[0]


def twarc_page() -> dict:
    """A real v2 search page with expansions (twarc2 output), as the last page: no next_token."""
    page = json.loads((FIXTURES / "twarc2_noflat.jsonl").read_text(encoding="utf-8"))
    page.pop("__twarc")
    page["meta"] = {k: v for k, v in page["meta"].items() if k != "next_token"}
    return page


def tweet(id_: str, text: str = "hi", parent: str | None = None, **extra: object) -> dict:
    t = {"id": id_, "text": text, "author_id": "42", "created_at": "2026-11-01T20:00:00.000Z"}
    if parent:
        t["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
    t.update(extra)
    return t


def page(*tweets: dict, next_token: str | None = None, includes: list[dict] | None = None) -> dict:
    ids = [t["id"] for t in tweets]
    meta: dict = {"result_count": len(ids)}
    if ids:
        meta.update(newest_id=max(ids, key=int), oldest_id=min(ids, key=int))
    if next_token:
        meta["next_token"] = next_token
    body: dict = {"meta": meta}
    if tweets:
        body["data"] = list(tweets)
    if includes:
        body["includes"] = {"tweets": includes}
    return body


@pytest.fixture
def x():
    with XReplay.running(TOKEN) as server:
        yield server


@pytest.fixture
def client(x: XReplay):
    return make_client(TOKEN, session=x.session())


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(client, store: MemoryArchive, query: str = QUERY, **kw):
    sleeps = Sleeps()
    result = capture(client, store, store, query, sleep=sleeps, clock=lambda: NOW, **kw)
    return result, sleeps


def test_hashtag_query_ors_the_chat_hashtags_and_keeps_retweets():
    assert hashtag_query(["CTQCollab"]) == "#ctqcollab"
    assert hashtag_query(["#CTQCollab", "ctqchat", "ctqcollab"]) == "(#ctqcollab OR #ctqchat)"
    with pytest.raises(TwitterCaptureError, match="hashtag 'c-t'"):
        hashtag_query(["c-t"])


def test_recorded_search_pages_are_stored_verbatim_with_a_checkpoint(x: XReplay, client):
    first = recorded("search_recent_tweets")
    token = first.body_json()["meta"]["next_token"]
    last = twarc_page()
    x.replay(first)
    x.queue(RECENT, Reply.json(last), when={"next_token": token})
    archive = MemoryArchive()

    result, _ = run(client, archive)

    assert [r.payload for r in archive.records] == [first.reply.body.decode("utf-8"), json.dumps(last)]
    assert {(r.source, r.kind, r.origin, r.query, r.is_context) for r in archive.records} == {
        (SOURCE, "page", ORIGIN, QUERY, False)
    }
    assert result.tweets == 110 and result.pages == 2 and result.new_records == 2
    cp = archive.checkpoint(SOURCE, ORIGIN, QUERY)
    assert cp.newest_id == "1578516068309794817"
    assert cp.oldest_id == min((t["id"] for t in last["data"]), key=int)
    # The requests asked for what the canonical model needs, and paginated with next_token.
    one, two = x.seen
    assert one.authorized and one.param("query") == QUERY and one.param("max_results") == "100"
    assert {
        "conversation_id",
        "referenced_tweets",
        "in_reply_to_user_id",
        "public_metrics",
        "entities",
    } <= set(one.param("tweet.fields").split(","))
    assert {"author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"} <= set(
        one.param("expansions").split(",")
    )
    assert {"username", "name", "created_at", "description"} <= set(one.param("user.fields").split(","))
    assert one.param("next_token") is None and two.param("next_token") == token
    assert archive.events[-1].posts == 110 and archive.events[-1].error is None


def test_full_archive_search_uses_the_all_endpoint_and_since_until(x: XReplay, client):
    first = recorded("search_all_tweets")
    x.replay(first)
    x.queue(ALL, Reply.json(page()), when={"next_token": first.body_json()["meta"]["next_token"]})
    archive = MemoryArchive()
    since = datetime(2022, 10, 1, tzinfo=UTC)
    until = datetime(2022, 10, 8, tzinfo=UTC)

    result, _ = run(client, archive, archive=True, since=since, until=until)

    assert result.tweets == 10 and len(archive.records) == 1  # the empty last page is not stored
    assert [s.path for s in x.seen] == [ALL, ALL]
    assert x.seen[0].param("start_time") == "2022-10-01T00:00:00Z"
    assert x.seen[0].param("end_time") == "2022-10-08T00:00:00Z"


def test_a_429_is_waited_out_until_the_reset_header_and_the_same_page_asked_again(x: XReplay, client):
    first = recorded("search_recent_tweets")
    token = first.body_json()["meta"]["next_token"]
    x.replay(first)
    limited = Reply.json(
        {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429},
        429,
        x_rate_limit_reset=str(int(NOW) + 120),
        x_rate_limit_remaining="0",
    )
    x.queue(RECENT, limited, Reply.json(twarc_page()), when={"next_token": token})
    archive = MemoryArchive()

    result, sleeps = run(client, archive)

    assert sleeps == [121.0]
    assert result.rate_limit_waits == [121.0]
    assert [s.param("next_token") for s in x.seen] == [None, token, token]
    assert len(archive.records) == 2 and x.pending() == 0


def test_a_used_up_window_is_waited_out_before_the_next_page_without_a_429(x: XReplay, client):
    first = Reply.json(
        page(tweet("300"), next_token="more"),
        x_rate_limit_remaining="0",
        x_rate_limit_reset=str(int(NOW) + 30),
    )
    last = Reply.json(page(tweet("200")), x_rate_limit_remaining="0", x_rate_limit_reset=str(int(NOW) + 30))
    x.queue(RECENT, first)
    x.queue(RECENT, last, when={"next_token": "more"})
    archive = MemoryArchive()

    result, sleeps = run(client, archive)

    assert sleeps == [31.0]  # before the second page only: nothing follows the last one
    assert result.tweets == 2 and [s.param("next_token") for s in x.seen] == [None, "more"]


def test_server_errors_are_retried_then_reported_and_the_next_run_resumes_without_a_gap(x: XReplay, client):
    older = [tweet(str(i)) for i in range(1000, 990, -1)]
    oldest_first_page = "1591"
    x.queue(RECENT, Reply.json(page(tweet("1600"), tweet(oldest_first_page), next_token="p2")))
    down = Reply.json({"title": "Service Unavailable", "status": 503}, 503)
    x.queue(RECENT, *[down] * 5, when={"next_token": "p2"})
    archive = MemoryArchive()

    with pytest.raises(TwitterCaptureError, match=r"X failed 5 times on recent search \(HTTP 503"):
        run(client, archive)

    cp = archive.checkpoint(SOURCE, ORIGIN, QUERY)
    assert (cp.newest_id, cp.oldest_id) == ("1600", oldest_first_page)
    assert archive.events[-1].error.startswith("X failed 5 times")

    # Next run: nothing newer than 1600, then walk back from 1591 and finish.
    x.seen.clear()
    x.queue(RECENT, Reply.json(page()), when={"since_id": "1600"})
    x.queue(RECENT, Reply.json(page(*older)), when={"until_id": oldest_first_page})
    result, sleeps = run(client, archive)

    assert [(s.param("since_id"), s.param("until_id")) for s in x.seen] == [("1600", None), (None, "1591")]
    assert result.tweets == 10 and sleeps == []
    cp = archive.checkpoint(SOURCE, ORIGIN, QUERY)
    assert (cp.newest_id, cp.oldest_id) == ("1600", "991")


def test_catching_up_moves_newest_only_with_the_last_page(x: XReplay, client):
    archive = MemoryArchive()
    archive.write([], [Checkpoint(SOURCE, ORIGIN, QUERY, newest_id="500", oldest_id="400")])
    x.queue(RECENT, Reply.json(page(tweet("900"), tweet("800"), next_token="n")), when={"since_id": "500"})
    x.queue(RECENT, Reply.json(page(tweet("700"), tweet("600"))), when={"next_token": "n"})
    x.queue(RECENT, Reply.json(page()), when={"until_id": "400"})

    run(client, archive)

    (first_records, first_cps), (second_records, second_cps) = archive.writes[1:]
    assert len(first_records) == 1 and first_cps == []  # a crash here must re-read from 500, not from 900
    assert [(c.newest_id, c.oldest_id) for c in second_cps] == [("900", None)]
    assert archive.checkpoint(SOURCE, ORIGIN, QUERY).newest_id == "900"
    assert archive.checkpoint(SOURCE, ORIGIN, QUERY).newest_at == datetime(2026, 11, 1, 20, tzinfo=UTC)


def test_max_pages_limits_walking_back_but_never_a_catch_up(x: XReplay, client):
    archive = MemoryArchive()
    x.queue(RECENT, Reply.json(page(tweet("500"), tweet("490"), next_token="older")))
    run(client, archive, max_pages=1)
    assert len(x.seen) == 1
    cp = archive.checkpoint(SOURCE, ORIGIN, QUERY)
    assert (cp.newest_id, cp.oldest_id) == ("500", "490")

    x.seen.clear()
    x.queue(RECENT, Reply.json(page(tweet("700"), next_token="n")), when={"since_id": "500"})
    x.queue(RECENT, Reply.json(page(tweet("600"))), when={"next_token": "n"})
    x.queue(RECENT, Reply.json(page(tweet("480"), next_token="o")), when={"until_id": "490"})
    run(client, archive, max_pages=1)

    assert [(s.param("since_id"), s.param("until_id"), s.param("next_token")) for s in x.seen] == [
        ("500", None, None),
        ("500", None, "n"),
        (None, "490", None),
    ]
    cp = archive.checkpoint(SOURCE, ORIGIN, QUERY)
    assert (cp.newest_id, cp.oldest_id) == ("700", "480")


def test_follow_polls_recent_search_with_since_id_only(x: XReplay, client):
    x.queue(RECENT, Reply.json(page(tweet("100"))))
    x.queue(RECENT, Reply.json(page(tweet("120"), tweet("110"))), when={"since_id": "100"})
    x.queue(RECENT, Reply.json(page()), when={"since_id": "120"})
    archive = MemoryArchive()
    sleeps = Sleeps()

    result = follow(client, archive, archive, QUERY, interval=45, polls=3, sleep=sleeps, clock=lambda: NOW)

    assert sleeps == [45, 45]
    assert result.tweets == 3 and x.pending() == 0
    assert [(s.param("since_id"), s.param("until_id")) for s in x.seen] == [
        (None, None),
        ("100", None),
        ("120", None),
    ]
    assert archive.checkpoint(SOURCE, ORIGIN, QUERY).newest_id == "120"


def test_missing_token_is_a_one_line_error_naming_the_variable():
    for token in (None, "", "  "):
        with pytest.raises(TwitterCaptureError) as e:
            make_client(token)
        assert TOKEN_ENV in str(e.value) and "\n" not in str(e.value)


def test_rejected_token_names_the_variable_and_never_shows_the_token(x: XReplay, caplog):
    wrong = "AAAA-wrong-token-that-must-stay-secret"
    client = make_client(wrong, session=x.session())
    archive = MemoryArchive()
    caplog.set_level(logging.DEBUG)

    with pytest.raises(TwitterCaptureError) as e:
        run(client, archive)

    message = str(e.value)
    assert TOKEN_ENV in message and "401" in message
    assert wrong not in message and wrong not in caplog.text and wrong not in archive.events[-1].error
    assert "Bearer [redacted]" in caplog.text  # tweepy did log its request headers, without the token
    assert x.seen and not x.seen[0].authorized


def test_recent_search_refuses_a_since_older_than_seven_days(client):
    archive = MemoryArchive()
    with pytest.raises(TwitterCaptureError, match="use --archive"):
        run(client, archive, since=datetime.now(UTC) - timedelta(days=30))


def test_context_looks_up_missing_parents_in_batches_and_climbs_the_chain(x: XReplay, client):
    # A real page whose replies point to 17 parents that are not in it; we know some of them.
    captured = twarc_page()
    parents = missing_parents(page_facts(captured).tweets, set())
    assert len(parents) == 17
    known_parent, archived_parent = parents[0], parents[1]
    corpus = {
        known_parent: tweet(known_parent, "the parent", parent="77"),  # itself a reply: climb on
        "77": tweet("77", "the root"),
    }

    def lookup(seen: Seen) -> Reply:
        ids = seen.param("ids").split(",")
        found = [corpus[i] for i in ids if i in corpus]
        errors = [
            {"value": i, "detail": f"Could not find tweet with ids: [{i}].", "title": "Not Found Error"}
            for i in ids
            if i not in corpus
        ]
        body = {"data": found} if found else {}
        if errors:
            body["errors"] = errors
        return Reply.json(body)

    x.queue(RECENT, Reply.json(captured))
    x.respond(LOOKUP, lookup)
    archive = MemoryArchive()
    asked_archive: list[list[str]] = []

    def known(ids):
        asked_archive.append(list(ids))
        return {archived_parent} & set(ids)

    result, _ = run(client, archive, context=True, known=known)

    lookups = [s.param("ids").split(",") for s in x.seen if s.path == LOOKUP]
    assert lookups == [[p for p in parents if p != archived_parent], ["77"]]
    assert x.seen[-1].param("expansions") == x.seen[0].param("expansions")
    context = [r for r in archive.records if r.is_context]
    assert len(context) == 2 and all(r.query == f"context:{QUERY}" and r.kind == "page" for r in context)
    assert result.context_tweets == 2 and result.context_pages == 2
    assert asked_archive[0] == parents


def test_context_batches_lookups_by_the_batch_size(x: XReplay, client):
    captured = page_facts(page(*[tweet(str(i), parent=str(i + 1000)) for i in range(1, 6)])).tweets
    x.respond(
        LOOKUP, lambda seen: Reply.json({"errors": [{"value": i} for i in seen.param("ids").split(",")]})
    )
    archive = MemoryArchive()

    result = fetch_context(client, archive, captured, query=QUERY, batch=2, sleep=Sleeps(), clock=lambda: NOW)

    assert [len(s.param("ids").split(",")) for s in x.seen] == [2, 2, 1]
    assert result.context_pages == 3 and result.context_tweets == 0
