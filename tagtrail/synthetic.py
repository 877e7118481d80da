"""A believable Mastodon hashtag-chat community, generated deterministically as the files an archive is built from.

`generate()` writes, for a seed and a size:
- one JSON Lines file per instance (`<instance>.jsonl`): full Status entities exactly as that instance's API serves
  them (ids local to the instance, accts bare for its own accounts, `in_reply_to_id` local to it), plus streaming
  `status.update` events for edits and `delete` events for deletions, ready for `tagtrail import mastodon`;
- `tagtrail.toml`, the chats (hashtags, schedules, hosts);
- `ground_truth.json`, what a correct import and build must find (posts after dedupe, sessions per chat, ...).

The community: a weekly #CTQCollab chat (Thursday 20:00 America/New_York, also tagged #CTQchat), a second weekly
chat sharing some members, and one without a schedule. Each session a host asks Q1..Q5 and people answer ("A1 …")
and reply to each other (about 40% of posts are replies, some without the hashtag). Who posts follows a Zipf law
over people who join at some week and either stay or vanish. A share of posts reaches two or three instances;
a few are edited or deleted; a bot posts reminders; two people opted out of archiving; one post carries a
<script> and a javascript: link. Files are written session by session, never holding the whole set in memory.
Same seed and parameters, same bytes.
"""

from __future__ import annotations

import itertools
import json
import queue
import random
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

import orjson

DEFAULT_INSTANCES = ("teachers.example", "scholars.example", "campus.example")
# homes of people whose instance was not collected: their posts are only seen through the collected ones
REMOTE_INSTANCES = ("remote-school.example", "fediverse.example")
DEFAULT_START = date(2025, 1, 2)


@dataclass(frozen=True)
class ChatSpec:
    name: str
    hashtags: tuple[str, ...]
    share: float  # of the session posts
    weekday: int | None = None  # 0 = Monday; None: no schedule, sessions found by silence
    start: time = time(20, 0)
    timezone: str = "UTC"


CHATS = (
    ChatSpec("CTQCollab", ("CTQCollab", "CTQchat"), 0.55, weekday=3, start=time(20, 0), timezone="America/New_York"),
    ChatSpec("SciEdChat", ("SciEdChat",), 0.30, weekday=1, start=time(19, 0), timezone="Europe/London"),
    ChatSpec("TeachReads", ("TeachReads",), 0.15),
)

_FIRST = ["ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ivy", "jon", "kai", "lea", "max", "nia", "oli", "pam", "quin", "ray", "sue", "tom", "uma", "vic", "wes", "xia", "yan", "zoe", "ada", "ben", "cleo", "dev", "ema", "finn", "gia", "hugo", "ines", "jay", "kim", "lars", "mia", "ned", "ora", "pia", "raj", "sol", "tess", "ugo", "val", "wyn", "yara", "zed", "amir", "bea", "cruz", "dora", "eli", "faye", "gabe", "hana", "ian", "jade"]  # noqa: SIM905
_LAST = ["lopez", "smith", "okafor", "chen", "garcia", "nguyen", "patel", "kim", "muller", "rossi", "silva", "cohen", "ivanova", "tanaka", "dubois", "novak", "khan", "berg", "costa", "walsh", "ortiz", "haddad", "quinn", "reyes", "sato", "ward", "young", "zhang", "adams", "baker"]  # noqa: SIM905
_WORDS = ["students", "learning", "classroom", "teachers", "curiosity", "reading", "writing", "feedback", "inquiry", "projects", "science", "math", "history", "questions", "assessment", "rubric", "collaboration", "community", "wellbeing", "parents", "school", "districts", "policy", "practice", "research", "evidence", "lesson", "planning", "tools", "notebooks", "discussion", "critical", "thinking", "creativity", "agency", "equity", "access", "reflection", "growth", "mindset", "portfolio", "peer", "review", "talk", "listening", "play", "outdoor", "library", "story", "art", "music", "coding", "data", "maps", "debate", "empathy", "routines", "transitions", "mentoring", "newcomers", "colleagues", "workload", "balance", "sleep", "coffee", "weekend", "grading", "conferences", "unit", "standards", "inclusion", "language", "multilingual", "families", "trust", "time", "really", "think", "about", "this", "week", "we", "tried", "it", "and", "the", "kids", "loved", "it", "honestly", "my", "favourite", "part", "is", "when", "they", "ask", "why", "so", "I", "keep", "a", "list", "of", "their", "wonderings", "on", "the", "wall", "and", "we", "come", "back", "to", "it", "every", "Friday"]  # noqa: SIM905
_TOPICS = (
    "questioning in class", "feedback that lands", "reading for pleasure", "student voice", "assessment",
    "outdoor learning", "wellbeing", "project-based learning", "classroom talk", "mistakes as learning",
)
_QUESTIONS = (
    "What does {t} look like in your room?", "How do you start with {t}?", "What gets in the way of {t}?",
    "Which tool helps you most with {t}?", "What will you try this week about {t}?",
    "Who taught you the most about {t}?", "How do students react to {t}?",
)
_SCRIPT_HTML = (
    '<p>A1 sharing my slides <script>alert(1)</script> and <a href="javascript:alert(2)">click here</a> '
    "#CTQCollab</p>"
)
_SNOWFLAKE_SHIFT = 16


@dataclass
class ChatTruth:
    sessions: int = 0
    questions: int = 0
    chat_posts: int = 0  # posts the marts count for the chat: eligible, tagged or in a tagged thread
    session_posts: int = 0  # of which in a session
    tagged_posts: int = 0
    participants: int = 0


@dataclass
class GroundTruth:
    """What importing the files and building with the config must find."""

    seed: int
    posts_requested: int
    weeks: int
    start: str
    instances: list[str]
    files: dict[str, str]
    config: str
    lines: dict[str, int] = field(default_factory=dict)  # per instance, every line written (before the tail)
    tail_files: dict[str, str] = field(default_factory=dict)  # the last sessions, kept apart (tail_share > 0)
    tail_lines: dict[str, int] = field(default_factory=dict)
    tail_posts: int = 0
    tail_bytes: int = 0
    statuses_served: int = 0  # status lines over all files (one per post and instance, boosts' included)
    posts: int = 0  # distinct canonical posts (uris) after dedupe, boosts included
    replies: int = 0
    boosts: int = 0
    edited: int = 0
    deleted: int = 0
    seen_on: dict[str, int] = field(default_factory=dict)  # number of instances → posts
    authors: int = 0
    opted_out_authors: list[str] = field(default_factory=list)
    bot_authors: list[str] = field(default_factory=list)
    hosts: dict[str, str] = field(default_factory=dict)
    script_post_uri: str = ""
    deleted_uris_sample: list[str] = field(default_factory=list)
    edited_uris_sample: list[str] = field(default_factory=list)
    multi_instance_sample: dict[str, list[str]] = field(default_factory=dict)  # uri → instances
    chats: dict[str, ChatTruth] = field(default_factory=dict)
    bytes: int = 0  # of the files before the tail

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def load(cls, path: Path | str) -> GroundTruth:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["chats"] = {k: ChatTruth(**v) for k, v in data["chats"].items()}
        return cls(**data)


@dataclass
class _Person:
    index: int
    username: str
    display_name: str
    home: int  # host index (collected instances first, then remote ones)
    weight: float
    join_week: int
    leave_week: int
    chats: tuple[int, ...]
    created_ms: int
    bot: bool = False
    noindex: bool = False
    note: str = "<p>Teacher, learner, question asker.</p>"

    @property
    def opted_out(self) -> bool:
        return self.noindex or "#nobot" in self.note


@dataclass
class _Post:
    seq: int
    author: int
    ms: int
    tags: tuple[str, ...]
    text: str
    parent: int = -1  # index in the session's list
    boost_of: int = -1
    question: int = 0
    servers: int = 0  # bit mask of collected instances
    replies: int = 0
    boosts: int = 0
    edited_ms: int = 0
    deleted: bool = False
    html: str = ""
    chat: int = -1  # chat whose marts hold it (-1: none)
    in_session: bool = False


class _Writer:
    """Per-instance output: renders statuses as each instance serves them and streams them to its file."""

    def __init__(self, out_dir: Path, hosts: Sequence[str], collected: int, people: list[_Person]) -> None:
        self.hosts = list(hosts)
        self.collected = collected
        self.people = people
        self.out_dir = out_dir
        self.files: list[IO[bytes]] = []
        self._opened: list[IO[bytes]] = []
        self.lines: list[int] = []
        self.bytes = 0
        self.open_part(".jsonl")
        self._pending: list[list[bytes]] = [[] for _ in range(collected)]
        self._queue: queue.Queue[tuple[IO[bytes], bytes] | None] = queue.Queue(maxsize=8)
        self._thread = threading.Thread(target=self._drain, name="synthetic-writer", daemon=True)
        self._thread.start()
        self._accounts: dict[tuple[int, int], orjson.Fragment] = {}
        self._account_ids: dict[tuple[int, int], str] = {}
        self._stamps: dict[int, str] = {}

    def open_part(self, suffix: str) -> None:
        """Write what follows to a new file per instance (`<instance><suffix>`)."""
        if self.files:
            self.flush()
        self.files = [(self.out_dir / f"{h}{suffix}").open("wb", buffering=1 << 20)
                      for h in self.hosts[: self.collected]]
        self._opened.extend(self.files)
        self.lines = [0] * self.collected
        self.bytes = 0

    def close(self) -> None:
        self.flush()
        self._queue.put(None)
        self._thread.join()
        for f in self._opened:
            f.close()

    # --- ids and times ----------------------------------------------------------------------------------
    @staticmethod
    def status_id(post: _Post, host: int) -> str:
        return str((post.ms << _SNOWFLAKE_SHIFT) | ((post.seq + 9973 * host) & 0xFFFF))

    def account_id(self, person: int, host: int) -> str:
        key = (person, host)
        found = self._account_ids.get(key)
        if found is None:
            p = self.people[person]
            found = str((p.created_ms << _SNOWFLAKE_SHIFT) | ((person * 31 + 9973 * host) & 0xFFFF))
            self._account_ids[key] = found
        return found

    def stamp(self, ms: int) -> str:
        minute, rest = divmod(ms, 60_000)
        prefix = self._stamps.get(minute)
        if prefix is None:
            prefix = datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M")
            if len(self._stamps) > 100_000:
                self._stamps.clear()
            self._stamps[minute] = prefix
        return f"{prefix}:{rest // 1000:02d}.{rest % 1000:03d}Z"

    def acct(self, person: int, host: int) -> str:
        p = self.people[person]
        return p.username if p.home == host else f"{p.username}@{self.hosts[p.home]}"

    def uri(self, post: _Post) -> str:
        p = self.people[post.author]
        sid = self.status_id(post, p.home)
        if post.boost_of >= 0:
            return f"https://{self.hosts[p.home]}/users/{p.username}/statuses/{sid}/activity"
        return f"https://{self.hosts[p.home]}/users/{p.username}/statuses/{sid}"

    def account(self, person: int, host: int) -> orjson.Fragment:
        key = (person, host)
        found = self._accounts.get(key)
        if found is None:
            p = self.people[person]
            home = self.hosts[p.home]
            created = self.stamp(p.created_ms)
            found = orjson.Fragment(orjson.dumps({
                "id": self.account_id(person, host),
                "username": p.username,
                "acct": self.acct(person, host),
                "display_name": p.display_name,
                "locked": False,
                "bot": p.bot,
                "discoverable": not p.noindex,
                "indexable": not p.noindex,
                "group": False,
                "created_at": created[:10] + "T00:00:00.000Z",
                "note": p.note,
                "url": f"https://{home}/@{p.username}",
                "uri": f"https://{home}/users/{p.username}",
                "avatar": f"https://files.{home}/accounts/avatars/{p.created_ms}/original/{p.username}.png",
                "avatar_static": f"https://files.{home}/accounts/avatars/{p.created_ms}/original/{p.username}.png",
                "header": f"https://files.{home}/accounts/headers/{p.created_ms}/original/{p.username}.jpg",
                "header_static": f"https://files.{home}/accounts/headers/{p.created_ms}/original/{p.username}.jpg",
                "followers_count": 40 + (p.index * 37) % 900,
                "following_count": 60 + (p.index * 53) % 700,
                "statuses_count": 100 + (p.index * 97) % 5000,
                "last_status_at": created[:10],
                "hide_collections": False,
                "noindex": p.noindex,
                "emojis": [],
                "roles": [],
                "fields": [
                    {"name": "Teaches", "value": "Grades 6–8 science and whatever the students bring", "verified_at": None},
                    {"name": "Website", "value": f'<a href="https://{p.username}.blog.example" rel="me nofollow '
                     f'noopener" target="_blank"><span class="invisible">https://</span><span class="">'
                     f"{p.username}.blog.example</span></a>", "verified_at": None},
                ],
            }))
            self._accounts[key] = found
        return found

    # --- rendering -------------------------------------------------------------------------------------
    def render(self, post: _Post, session: list[_Post], host: int, *, edited: bool = False) -> dict[str, Any]:
        p = self.people[post.author]
        home = self.hosts[p.home]
        sid = self.status_id(post, p.home)
        parent = session[post.parent] if post.parent >= 0 else None
        mentions = []
        if parent is not None:
            q = self.people[parent.author]
            mentions.append({
                "id": self.account_id(parent.author, host), "username": q.username, "url":
                f"https://{self.hosts[q.home]}/@{q.username}", "acct": self.acct(parent.author, host),
            })
        html = post.html
        if edited:
            html = html[:-4] + " (edited: fixed a typo)</p>"
        reblog = self.render(session[post.boost_of], session, host) if post.boost_of >= 0 else None
        return {
            "id": self.status_id(post, host),
            "created_at": self.stamp(post.ms),
            "in_reply_to_id": self.status_id(parent, host) if parent is not None else None,
            "in_reply_to_account_id": self.account_id(parent.author, host) if parent is not None else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "unlisted" if parent is not None and post.seq % 17 == 0 else "public",
            "language": "en",
            "uri": self.uri(post),
            "url": None if reblog else f"https://{home}/@{p.username}/{sid}",
            "replies_count": post.replies,
            "reblogs_count": post.boosts,
            "favourites_count": (post.seq * 7) % 23 if reblog is None else 0,
            "edited_at": self.stamp(post.edited_ms) if edited else None,
            "favourited": False,
            "reblogged": False,
            "muted": False,
            "bookmarked": False,
            "content": "" if reblog else html,
            "filtered": [],
            "reblog": reblog,
            "application": {"name": "Web", "website": None} if host == p.home else None,
            "account": self.account(post.author, host),
            "media_attachments": [],
            "mentions": mentions,
            "tags": [{"name": t, "url": f"https://{self.hosts[host]}/tags/{t.lower()}"} for t in post.tags],
            "emojis": [],
            "card": None,
            "poll": None,
        }

    def write(self, host: int, item: dict[str, Any]) -> None:
        line = orjson.dumps(item, option=orjson.OPT_APPEND_NEWLINE)
        self._pending[host].append(line)
        self.lines[host] += 1
        self.bytes += len(line)

    def flush(self) -> None:
        for host, lines in enumerate(self._pending):
            if lines:
                self._queue.put((self.files[host], b"".join(lines)))
                lines.clear()

    def _drain(self) -> None:
        # writing releases the GIL: the disk works while the next session is rendered
        while (job := self._queue.get()) is not None:
            job[0].write(job[1])


def default_weeks(posts: int) -> int:
    """About 2,000 posts a week over the chats: a year at 100k posts, ten years at a million."""
    return max(4, min(520, round(posts / 2000)))


def generate(
    out_dir: Path | str,
    *,
    posts: int = 10_000,
    seed: int = 1,
    instances: Sequence[str] = DEFAULT_INSTANCES,
    start: date = DEFAULT_START,
    weeks: int | None = None,
    tail_share: float = 0.0,
) -> GroundTruth:
    """Write the instance files, tagtrail.toml and ground_truth.json into out_dir; return the ground truth.

    With tail_share > 0, the last sessions holding about that share of the posts go to `<instance>.tail.jsonl`
    instead (new posts to append after a first import, for incremental builds); the ground truth covers both."""
    if posts < 100:
        raise ValueError("posts: at least 100")
    if not 0 <= tail_share < 0.5:
        raise ValueError("tail_share: from 0 to 0.5")
    if not instances:
        raise ValueError("instances: at least one")
    instances = [i.lower() for i in instances]
    if len(set(instances)) != len(instances):
        raise ValueError("instances: each instance once")
    weeks = weeks or default_weeks(posts)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    collected = len(instances)
    hosts = [*instances, *(r for r in REMOTE_INSTANCES if r not in instances)]
    people = _community(rng, posts, weeks, collected, len(hosts))
    sessions = _plan_sessions(rng, start, weeks, posts)
    words = _Prose(rng)

    truth = GroundTruth(
        seed=seed, posts_requested=posts, weeks=weeks, start=start.isoformat(), instances=list(instances),
        files={h: f"{h}.jsonl" for h in instances}, config="tagtrail.toml",
        chats={c.name: ChatTruth() for c in CHATS},
        hosts={c.name: _author_id(people[i], hosts) for i, c in enumerate(CHATS)},
        opted_out_authors=[_author_id(p, hosts) for p in people if p.opted_out],
        bot_authors=[_author_id(p, hosts) for p in people if p.bot],
    )
    (out / "tagtrail.toml").write_text(_config_toml(truth.hosts), encoding="utf-8")
    writer = _Writer(out, hosts, collected, people)
    participants: list[set[int]] = [set() for _ in CHATS]
    authors: set[int] = set()
    seen_on = [0] * (collected + 1)
    seq = 0
    script_done = False
    tail_from = _tail_start(sessions, tail_share)
    try:
        for number, (chat_i, week, t0_ms, budget) in enumerate(sessions):
            if number == tail_from:
                truth.lines = dict(zip(instances, writer.lines, strict=True))
                truth.bytes = writer.bytes
                truth.tail_files = {h: f"{h}.tail.jsonl" for h in instances}
                posts_before = truth.posts
                writer.open_part(".tail.jsonl")
            session = _session_posts(rng, words, people, hosts, chat_i, week, t0_ms, budget, seq)
            if not script_done and chat_i == 0:
                _plant_script_post(session, people)
                script_done = True
            seq += len(session)
            _spread(rng, session, people, collected)
            _edit_and_delete(rng, session, people)
            for post in session:
                _tally(truth, post, session, people, participants, authors, seen_on, writer)
                for host in _bits(post.servers):
                    writer.write(host, writer.render(post, session, host))
            for post in session:
                for host in _bits(post.servers):
                    if post.edited_ms:
                        writer.write(host, {"event": "status.update",
                                            "payload": writer.render(post, session, host, edited=True)})
                    if post.deleted:
                        writer.write(host, {"event": "delete", "payload": writer.status_id(post, host)})
            writer.flush()
            if any(p.question for p in session):
                truth.chats[CHATS[chat_i].name].sessions += 1
    finally:
        writer.close()

    if tail_from < len(sessions):
        truth.tail_lines = dict(zip(instances, writer.lines, strict=True))
        truth.tail_bytes = writer.bytes
        truth.tail_posts = truth.posts - posts_before
    else:
        truth.lines = dict(zip(instances, writer.lines, strict=True))
        truth.bytes = writer.bytes
    truth.authors = len(authors)
    truth.seen_on = {str(n): seen_on[n] for n in range(1, collected + 1)}
    for i, c in enumerate(CHATS):
        truth.chats[c.name].participants = len(participants[i])
    (out / "ground_truth.json").write_text(truth.to_json(), encoding="utf-8")
    return truth


# --- the community ------------------------------------------------------------------------------------------


def _community(rng: random.Random, posts: int, weeks: int, collected: int, n_hosts: int) -> list[_Person]:
    """Hosts, a reminder bot, two people who opted out, then everyone else by Zipf rank."""
    size = max(40, int(2.5 * posts**0.55))
    people: list[_Person] = []
    names: set[str] = set()
    base_ms = int(datetime(2019, 6, 1, tzinfo=UTC).timestamp() * 1000)

    def name() -> str:
        while True:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            candidate = f"{first}_{last}" if len(names) < 1200 else f"{first}_{last}{rng.randrange(10, 9999)}"
            if candidate not in names:
                names.add(candidate)
                return candidate

    def home() -> int:
        if rng.random() < 0.1:
            return collected + rng.randrange(n_hosts - collected) if n_hosts > collected else 0
        return min(int(rng.expovariate(1.3)), collected - 1)

    for i in range(size):
        username = name()
        first = username.split("_")[0]
        rank_weight = 1.0 / (i + 1) ** 1.07
        if i < len(CHATS):  # hosts: present every week of their chat; hosts of the others also visit chat 0
            chats = (i,) if i == 0 else (i, 0)
            join, leave, h = 0, weeks, 0
        elif i < max(8, size // 20):  # the regulars who started the community
            chats = (rng.randrange(len(CHATS)),)
            join, leave, h = 0, weeks, home()
        else:
            primary = rng.choices(range(len(CHATS)), weights=[c.share for c in CHATS])[0]
            chats = (primary,) if rng.random() > 0.25 else (primary, (primary + 1) % len(CHATS))
            join = rng.randrange(weeks)
            stay = 1 if rng.random() < 0.35 else 2 + int(rng.expovariate(1 / (weeks / 3 + 4)))
            leave, h = min(weeks, join + stay), home()
        people.append(_Person(
            index=i, username=username, display_name=f"{first.title()} {username.split('_')[1].title()}", home=h,
            weight=rank_weight, join_week=join, leave_week=leave, chats=chats, created_ms=base_ms + i * 3_600_123,
        ))
    # a reminder bot and two people who opted out of archiving, in different ways
    bot, quiet, nobot = people[-1], people[-2], people[-3]
    bot.username, bot.display_name, bot.bot, bot.home = "ctq_reminders", "CTQ reminders", True, 0
    bot.chats, bot.weight, bot.join_week, bot.leave_week = (), 0.0, 0, weeks
    quiet.noindex, quiet.join_week, quiet.leave_week, quiet.weight = True, 0, weeks, 0.02
    nobot.note, nobot.join_week, nobot.leave_week, nobot.weight = "<p>Teacher. #nobot please</p>", 0, weeks, 0.02
    return people


def _plan_sessions(rng: random.Random, start: date, weeks: int, posts: int) -> list[tuple[int, int, int, int]]:
    """(chat, week, scheduled start in epoch ms, post budget) in time order, budgets summing to about `posts`."""
    plan: list[tuple[int, int, int, float]] = []
    for chat_i, chat in enumerate(CHATS):
        for week in range(weeks):
            if week and rng.random() < 0.04:  # a holiday: no session
                continue
            if chat.weekday is None:
                day = start + timedelta(weeks=week, days=rng.randrange(7))
                at = datetime.combine(day, time(rng.randrange(12, 22), rng.choice((0, 15, 30))), UTC)
            else:
                day = start + timedelta(weeks=week, days=(chat.weekday - start.weekday()) % 7)
                at = datetime.combine(day, chat.start, ZoneInfo(chat.timezone))
            growth = 1.0 + week / max(weeks, 1)
            plan.append((chat_i, week, int(at.timestamp() * 1000), chat.share * growth * rng.lognormvariate(0, 0.3)))
    plan.sort(key=lambda s: (s[2], s[0]))
    # the reminders, between-session posts and posts outside any chat that sessions add beside their budget
    extra = sum(1.0 if s[0] == 0 else 0.0 for s in plan) + sum(0.5 for s in plan if CHATS[s[0]].weekday is not None)
    extra = round(extra + 0.3 * len(plan))
    total_weight = sum(s[3] for s in plan)
    budget = max(posts - extra, 0)
    return [(c, w, t, max(12, round(budget * x / total_weight))) for c, w, t, x in plan]


def _tail_start(sessions: list[tuple[int, int, int, int]], share: float) -> int:
    """Index of the first session of the tail (len(sessions): no tail)."""
    if share <= 0:
        return len(sessions)
    total = sum(s[3] for s in sessions)
    kept = 0
    for i, s in enumerate(sessions):
        kept += s[3]
        if kept > (1 - share) * total:
            return max(i, 1)
    return len(sessions) - 1


def _author_id(p: _Person, hosts: Sequence[str]) -> str:
    return f"{p.username}@{hosts[p.home]}".lower()


def _config_toml(hosts: dict[str, str]) -> str:
    out = ["# Chats of the synthetic community (tagtrail.synthetic)\n"]
    for chat in CHATS:
        tags = ", ".join(json.dumps(f"#{t}") for t in chat.hashtags)
        out.append(f'[[chats]]\nname = "{chat.name}"\nhashtags = [{tags}]\nhosts = ["{hosts[chat.name]}"]\n')
        if chat.weekday is not None:
            from tagtrail.config import WEEKDAYS

            out.append(
                f'schedule = {{ weekday = "{WEEKDAYS[chat.weekday]}", start = "{chat.start:%H:%M}", '
                f'duration = "60m", timezone = "{chat.timezone}" }}\n'
            )
        out.append("\n")
    return "".join(out)


# --- one session ---------------------------------------------------------------------------------------------


class _Prose:
    """Random text cut from one long shuffled run of words: two random draws per post instead of one per word."""

    def __init__(self, rng: random.Random, words: int = 50_000) -> None:
        run = rng.choices(_WORDS, k=words)
        self.text = " ".join(run)
        self.starts = list(itertools.accumulate((len(w) + 1 for w in run), initial=0))

    def __call__(self, rng: random.Random, lo: int, hi: int) -> str:
        n = rng.randint(lo, hi)
        i = rng.randrange(len(self.starts) - n - 1)
        return self.text[self.starts[i] : self.starts[i + n] - 1]


def _session_posts(
    rng: random.Random, words: _Prose, people: list[_Person], hosts: Sequence[str], chat_i: int, week: int, t0: int,
    budget: int, seq0: int,
) -> list[_Post]:
    chat = CHATS[chat_i]
    host = chat_i
    scheduled = chat.weekday is not None
    members = [p for p in people if chat_i in p.chats and p.join_week <= week < p.leave_week]
    cum = list(itertools.accumulate(p.weight for p in members))

    def someone() -> _Person:
        return rng.choices(members, cum_weights=cum)[0] if members else people[host]

    topic = rng.choice(_TOPICS)
    n_questions = min(5, max(1, budget // 10))
    minute = 60_000
    # host posts at fixed times; everyone else spread over the session (unscheduled: tight enough to be one)
    fixed = [(t0 - 2 * minute, 0)] + [(t0 + (5 + 10 * q) * minute, q + 1) for q in range(n_questions)]
    lo, hi = (t0 - 8 * minute, t0 + 75 * minute) if scheduled else (t0 + minute, t0 + 50 * minute)
    n_free = max(budget - len(fixed), 0)
    times = sorted([(rng.randrange(lo, hi), -1) for _ in range(n_free)] + fixed)
    posts: list[_Post] = []
    last_ms = 0
    current_q = -1  # index of the latest question
    answerable: list[int] = []  # posts one may reply to or boost: not boosts, not by the bot or the opted-out
    tag_choices = chat.hashtags
    if chat_i == 0:  # the bot's reminder an hour ahead: in the chat, in no session
        bot = people[-1]
        posts.append(_Post(seq0, bot.index, t0 - 60 * minute, (chat.hashtags[0],),
                           f"Reminder: #{chat.hashtags[0]} starts in one hour. Tonight: {topic}."))
        last_ms = t0 - 60 * minute
    for ms, q in times:
        ms = max(ms, last_ms + 1)
        last_ms = ms
        seq = seq0 + len(posts)
        if q == 0:
            posts.append(_Post(seq, host, ms, chat.hashtags,
                               f"Welcome to #{chat.hashtags[0]}! Tonight we talk about {topic}. Say hi and where you teach."))
            answerable.append(len(posts) - 1)
            continue
        if q > 0:
            text = f"Q{q}: {rng.choice(_QUESTIONS).format(t=topic)} " + " ".join(f"#{t}" for t in chat.hashtags)
            posts.append(_Post(seq, host, ms, chat.hashtags, text, question=q))
            current_q = len(posts) - 1
            answerable.append(current_q)
            continue
        author = someone().index
        if rng.random() < 0.04 and people[-2].join_week <= week:  # someone who opted out, now and then
            author = people[-2 - (seq % 2)].index
        candidates = answerable[-25:]
        if candidates and rng.random() < 0.01:  # a boost of something said earlier
            target = current_q if current_q >= 0 else rng.choice(candidates)
            posts.append(_Post(seq, author, ms, (), "", boost_of=target))
            posts[target].boosts += 1
            continue
        tag = rng.choice(tag_choices) if rng.random() < 0.85 else None
        tags = (tag,) if tag else chat.hashtags
        qn = posts[current_q].question if current_q >= 0 else 0
        if candidates and rng.random() < 0.42 and not people[author].opted_out:
            parent = current_q if current_q >= 0 and rng.random() < 0.45 else rng.choice(candidates)
            answering = posts[parent].question
            if answering:
                body = f"A{answering} {words(rng, 12, 60)}"
                tagged = rng.random() < 0.75
            else:
                body = words(rng, 6, 50)
                tagged = rng.random() < 0.4
            posts.append(_Post(seq, author, ms, tags if tagged else (), body, parent=parent))
            posts[parent].replies += 1
        else:
            body = f"A{qn} {words(rng, 12, 70)}" if qn and rng.random() < 0.6 else words(rng, 8, 60)
            posts.append(_Post(seq, author, ms, tags, body))
        if posts[-1].boost_of < 0 and not people[posts[-1].author].opted_out:
            answerable.append(len(posts) - 1)
    if scheduled and rng.random() < 0.5:  # a between-session post a few days later: in the chat, in no session
        p = someone()
        ms = t0 + rng.randrange(2, 5) * 86_400_000 + rng.randrange(3_600_000)
        posts.append(_Post(seq0 + len(posts), p.index, ms, (chat.hashtags[0],), f"Still thinking about {topic} "
                           f"after #{chat.hashtags[0]} this week. {words(rng, 5, 20)}"))
    if rng.random() < 0.3:  # a post with no chat hashtag at all: in the archive, in no chat
        p = someone()
        posts.append(_Post(seq0 + len(posts), p.index, t0 + 86_400_000 + rng.randrange(3_600_000), ("edtech",),
                           f"{words(rng, 10, 30)} #edtech"))
    for post in posts:
        post.chat = chat_i if post.boost_of < 0 and post.tags != ("edtech",) else -1
        post.in_session = post.chat >= 0 and t0 - 15 * minute <= post.ms < t0 + 90 * minute
        if not post.html and post.boost_of < 0:
            post.html = _html(post, posts, people, chat, hosts)
    return posts


def _html(post: _Post, session: list[_Post], people: list[_Person], chat: ChatSpec, hosts: Sequence[str]) -> str:
    """The content HTML as the author's instance renders it (the same on every instance that serves it)."""
    home = hosts[people[post.author].home]
    parts = ["<p>"]
    if post.parent >= 0:
        q = people[session[post.parent].author]
        parts.append(f'<span class="h-card" translate="no"><a href="https://{hosts[q.home]}/@{q.username}" '
                     f'class="u-url mention">@<span>{q.username}</span></a></span> ')
    text = post.text
    for t in (*chat.hashtags, "edtech"):
        text = text.replace(f"#{t}", _tag_link(home, t))
    parts.append(text)
    for t in post.tags:
        if f"#{t}" not in post.text:
            parts.append(" " + _tag_link(home, t))
    parts.append("</p>")
    return "".join(parts)


def _tag_link(home: str, tag: str) -> str:
    return f'<a href="https://{home}/tags/{tag.lower()}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'


def _plant_script_post(session: list[_Post], people: list[_Person]) -> None:
    for post in session:
        if post.parent < 0 and post.boost_of < 0 and not post.question and post.chat == 0 and post.in_session \
                and not people[post.author].opted_out and post.author != 0 and not people[post.author].bot:
            post.html = _SCRIPT_HTML
            post.text = "script"
            post.tags = ("CTQCollab",)
            return


def _spread(rng: random.Random, session: list[_Post], people: list[_Person], collected: int) -> None:
    """Which instances serve each post: the author's own if collected, sometimes one or two more; an instance
    serving a reply or boost also holds what it answers (it fetched the context)."""
    everyone = (1 << collected) - 1
    for post in session:
        home = people[post.author].home
        mask = 1 << home if home < collected else 1 << rng.randrange(collected)
        r = rng.random()
        if r < 0.08:
            mask = everyone
        elif r < 0.3:
            mask |= 1 << rng.randrange(collected)
        post.servers = mask
    for post in reversed(session):
        if post.parent >= 0:
            session[post.parent].servers |= post.servers
        if post.boost_of >= 0:
            session[post.boost_of].servers |= post.servers


def _edit_and_delete(rng: random.Random, session: list[_Post], people: list[_Person]) -> None:
    """About 1% of posts edited a few minutes later and 0.5% deleted: only leaves (nothing answers them), never
    questions, so threads and sessions keep their shape."""
    for post in session:
        if post.question or post.boost_of >= 0 or people[post.author].bot or post.html.startswith("<p>A1 sharing"):
            continue
        r = rng.random()
        if r < 0.005 and post.replies == 0 and post.boosts == 0:
            post.deleted = True
        elif r < 0.015:
            post.edited_ms = post.ms + rng.randrange(60_000, 600_000)


def _bits(mask: int) -> list[int]:
    out = []
    i = 0
    while mask:
        if mask & 1:
            out.append(i)
        mask >>= 1
        i += 1
    return out


def _tally(
    truth: GroundTruth, post: _Post, session: list[_Post], people: list[_Person], participants: list[set[int]],
    authors: set[int], seen_on: list[int], writer: _Writer,
) -> None:
    n = len(_bits(post.servers))
    truth.posts += 1
    truth.statuses_served += n
    seen_on[n] += 1
    authors.add(post.author)
    if post.boost_of >= 0:
        truth.boosts += 1
        authors.add(session[post.boost_of].author)
    if post.parent >= 0:
        truth.replies += 1
    if post.edited_ms:
        truth.edited += 1
        if len(truth.edited_uris_sample) < 5:
            truth.edited_uris_sample.append(writer.uri(post))
    if post.deleted:
        truth.deleted += 1
        if len(truth.deleted_uris_sample) < 5:
            truth.deleted_uris_sample.append(writer.uri(post))
    if n > 1 and len(truth.multi_instance_sample) < 5:
        truth.multi_instance_sample[writer.uri(post)] = [writer.hosts[h] for h in _bits(post.servers)]
    if post.html == _SCRIPT_HTML:
        truth.script_post_uri = writer.uri(post)
    if post.chat < 0 or post.deleted or people[post.author].opted_out:
        return
    chat = truth.chats[CHATS[post.chat].name]
    chat.chat_posts += 1
    chat.tagged_posts += bool(post.tags)
    chat.session_posts += post.in_session or (not post.tags and _root(session, post).in_session)
    chat.questions += bool(post.question)
    participants[post.chat].add(post.author)


def _root(session: list[_Post], post: _Post) -> _Post:
    while post.parent >= 0:
        post = session[post.parent]
    return post
