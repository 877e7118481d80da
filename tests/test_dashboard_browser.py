"""End to end: `tagtrail dashboard` serving a demo archive, driven in real headless Chromium through every page.

The figures on each page are checked against the marts, a post holding a <script> must not run, each page is
photographed, and the same walk repeated while `tagtrail import` and `tagtrail build` write to the archive in other
processes shows no error anywhere and the new post within 30 seconds.

`TAGTRAIL_SCREENSHOTS=docs/screenshots pytest tests/test_dashboard_browser.py -k every_page` refreshes the README's
pictures from the full demo archive.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dashboard_archive import HOSTILE_AUTHOR, hostile_post
from factories import build_with, rows
from playwright.sync_api import Browser, Page, expect, sync_playwright
from test_import_mastodon import import_file

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
PAGES = {"overview": "Overview", "sessions": "Sessions", "participants": "Participants",
         "network": "Conversation network", "live": "Live", "capture": "Capture & export"}
TIMEOUT_MS = 30_000  # generous: a busy 2-core CI machine, and a build that holds the archive for a few seconds
expect.set_options(timeout=TIMEOUT_MS)


def tagtrail(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tagtrail.cli", *args], cwd=cwd, capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop(server: subprocess.Popen[str]) -> None:
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@dataclass
class Site:
    url: str
    db: Path
    home: Path
    demo_files: list[tuple[Path, str]] = field(default_factory=list)  # (JSON Lines file, instance)


def build_demo(home: Path) -> Site:
    """A small demo archive through the normal path, plus a newcomer's post that tries to run a script."""
    # the README's pictures show the full demo (`make demo`); the tests are content with a small one
    size = [] if os.environ.get("TAGTRAIL_SCREENSHOTS") else ["--posts", "3000", "--weeks", "12"]
    tagtrail("demo", "--dir", str(home), *size, "--no-serve", cwd=home)
    db = home / "tagtrail.duckdb"
    import_file(db, hostile_post(home, created_at=latest_session_time(db)), "c.social")
    build_with(db, home / "tagtrail.toml")
    files = [(p, p.stem) for p in sorted(home.glob("*.example.jsonl"))]
    return Site(url="", db=db, home=home, demo_files=files)


def latest_session_time(db: Path) -> str:
    """Ten minutes into the latest #CTQCollab session, as a Mastodon timestamp."""
    (at,) = rows(db, "SELECT strftime(coalesce(scheduled_start_at, start_at) + INTERVAL 10 MINUTE, "
                     "'%Y-%m-%dT%H:%M:%S.000Z') FROM sessions WHERE chat = 'CTQCollab' "
                     "ORDER BY start_at DESC LIMIT 1")[0]
    return str(at)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    built = build_demo(tmp_path_factory.mktemp("demo"))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tagtrail.cli", "--db", str(built.db), "dashboard", "--port", str(port)],
        cwd=built.home, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    built.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{built.url}/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the dashboard did not start: {server.stdout.read() if server.stdout else ''}") from None
            time.sleep(0.2)
    yield built
    stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@dataclass
class Visit:
    page: Page
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: Browser) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    v = Visit(page)
    page.on("dialog", lambda d: (v.dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: v.errors.append(str(e)))
    yield v
    context.close()


def open_page(v: Visit, site: Site, page: str, query: str = "") -> Page:
    p = v.page
    p.goto(f"{site.url}/{'' if page == 'overview' else page}{query}")
    expect(p.get_by_role("heading", name=PAGES[page], exact=True)).to_be_visible()
    settle(p)
    return p


def settle(p: Page) -> None:
    """Wait until Streamlit has finished running the page script."""
    p.wait_for_timeout(300)
    p.wait_for_function("!document.querySelector('[data-testid^=\"stStatusWidgetRunning\"]')")


def metric(p: Page, label: str) -> str:
    box = p.get_by_test_id("stMetric").filter(has=p.get_by_test_id("stMetricLabel").get_by_text(label, exact=True))
    return box.get_by_test_id("stMetricValue").inner_text().strip()


def no_errors(p: Page, v: Visit) -> None:
    assert p.get_by_test_id("stException").count() == 0
    assert not [e for e in p.get_by_test_id("stAlert").all_inner_texts() if "lock" in e.lower() or "error" in e.lower()]
    assert v.errors == [] and v.dialogs == []


def walk_every_page(site: Site, v: Visit, shots: Path | None) -> None:
    """Visit every page, checking what it shows against the marts."""
    sessions, posts = rows(site.db, "SELECT count(*), sum(posts) FROM session_stats")[0]
    # people who took part in a session (participants also lists those who only posted between sessions)
    participants = rows(site.db, "SELECT count(*) FROM (SELECT DISTINCT chat, author_id FROM participation)")[0][0]
    newcomers = rows(site.db, "SELECT count(*) FROM newcomer_outcomes")[0][0]

    p = open_page(v, site, "overview")
    assert (metric(p, "Sessions"), metric(p, "Posts"), metric(p, "Participants"), metric(p, "Newcomers")) == (
        f"{sessions:,}", f"{posts:,}", f"{participants:,}", f"{newcomers:,}")
    expect(p.locator(".vega-embed").first).to_be_visible()
    finish(p, v, shots, "overview")

    p = open_page(v, site, "sessions")
    assert metric(p, "Sessions") == f"{sessions:,}"
    finish(p, v, shots, "sessions")

    p = open_page(v, site, "participants")
    assert metric(p, "Participants") == f"{participants:,}"
    finish(p, v, shots, "participants")

    p = open_page(v, site, "network")
    pairs, replies = rows(site.db, "SELECT count(DISTINCT (source_author_id, target_author_id)), sum(count) "
                                   "FROM interactions WHERE kind = 'reply'")[0]
    assert (metric(p, "Pairs who replied"), metric(p, "Replies between people")) == (f"{pairs:,}", f"{replies:,}")
    finish(p, v, shots, "network")

    p = open_page(v, site, "live", "?chat=CTQCollab")
    (latest_posts,) = rows(site.db, "SELECT posts FROM session_stats WHERE chat = 'CTQCollab' "
                                    "ORDER BY start_at DESC LIMIT 1")[0]
    assert metric(p, "Posts") == f"{latest_posts:,}"
    expect(p.get_by_text(HOSTILE_AUTHOR).first).to_be_visible()  # eve's post has had no reply: who notices?
    finish(p, v, shots, "live")

    p = open_page(v, site, "capture")
    expect(p.get_by_role("button", name="sessions.csv")).to_be_visible()
    finish(p, v, shots, "capture")


# what each page draws last: once it is there, the page is complete
LAST = {"overview": ".vega-embed >> nth=2", "sessions": ".transcript", "participants": ".vega-embed >> nth=1",
        "network": ".vega-embed", "live": ".vega-embed", "capture": "[data-testid=stDownloadButton] >> nth=7"}


def finish(p: Page, v: Visit, shots: Path | None, name: str) -> None:
    expect(p.locator(LAST[name])).to_be_visible()
    p.wait_for_timeout(500)  # let the charts finish drawing
    no_errors(p, v)
    if shots is not None:
        p.screenshot(path=str(shots / f"{name}.png"))


def test_every_page_shows_the_marts_figures_and_no_post_runs_a_script(
    site: Site, visit: Visit, tmp_path: Path
) -> None:
    shots = Path(os.environ.get("TAGTRAIL_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    walk_every_page(site, visit, shots)
    assert sorted(f.name for f in shots.glob("*.png")) == sorted(f"{name}.png" for name in PAGES)

    # eve's post, shown in its session's transcript as text: the script is visible and never runs
    (session_id,) = rows(site.db, "SELECT session_id FROM chat_posts WHERE author_id = ?", [HOSTILE_AUTHOR])[0]
    p = open_page(visit, site, "sessions", f"?session={session_id}")
    expect(p.get_by_text("<script>window.__tagtrail_pwned = 1;", exact=False)).to_be_visible()
    assert p.evaluate("window.__tagtrail_pwned") is None
    assert p.locator("a[href^='javascript:']").count() == 0
    no_errors(p, visit)

    # and the demo community's own post with a <script> element and a javascript: link
    uri = json.loads((site.home / "ground_truth.json").read_text(encoding="utf-8"))["script_post_uri"]
    (session_id,) = rows(site.db, "SELECT session_id FROM chat_posts WHERE post_id = ?", [uri])[0]
    p = open_page(visit, site, "sessions", f"?session={session_id}")
    expect(p.get_by_text("A1 sharing my slides").first).to_be_visible()
    assert p.locator("a[href^='javascript:']").count() == 0 and p.locator(".transcript script").count() == 0
    no_errors(p, visit)


def test_filters_follow_the_user_across_pages_in_the_url(site: Site, visit: Visit) -> None:
    (second,) = rows(site.db, "SELECT start_at::DATE::VARCHAR FROM sessions ORDER BY start_at LIMIT 1 OFFSET 1")[0]
    (later,) = rows(site.db, "SELECT count(*) FROM session_stats WHERE start_at >= ?::DATE", [second])[0]
    p = open_page(visit, site, "overview", f"?from={second}")
    assert metric(p, "Sessions") == f"{later:,}"
    p.get_by_role("link", name="Participants").click()
    expect(p.get_by_role("heading", name="Participants", exact=True)).to_be_visible()
    p.get_by_role("link", name="Sessions").click()
    expect(p.get_by_role("heading", name="Sessions", exact=True)).to_be_visible()
    settle(p)
    assert f"from={second}" in p.url
    assert metric(p, "Sessions") == f"{later:,}"


def test_a_downloaded_report_is_the_same_as_tagtrail_export(site: Site, visit: Visit, tmp_path: Path) -> None:
    p = open_page(visit, site, "capture")
    with p.expect_download() as download:
        p.get_by_role("button", name="sessions.csv").click()
    got = tmp_path / "downloaded.csv"
    download.value.save_as(got)
    tagtrail("--db", str(site.db), "export", "sessions", "--out", str(tmp_path / "exported.csv"), cwd=tmp_path)
    assert got.read_bytes() == (tmp_path / "exported.csv").read_bytes()
    assert got.read_text(encoding="utf-8").count("\n") == 1 + rows(site.db, "SELECT count(*) FROM sessions")[0][0]


def test_pages_keep_working_while_another_process_imports_and_builds(
    site: Site, visit: Visit, tmp_path: Path
) -> None:
    stop = threading.Event()
    writes: list[subprocess.CompletedProcess[str]] = []

    def keep_writing() -> None:
        # the demo's files again, one at a time (nothing new, but every batch takes the write lock), each followed by
        # a rebuild, until the walk is done
        for path, instance in itertools.cycle(site.demo_files):
            if stop.is_set():
                return
            writes.append(tagtrail("--db", str(site.db), "import", "mastodon", str(path), "--instance", instance,
                                   cwd=site.home))
            writes.append(tagtrail("--db", str(site.db), "--config", str(site.home / "tagtrail.toml"), "build",
                                   cwd=site.home))

    writer = threading.Thread(target=keep_writing, daemon=True)
    writer.start()
    try:
        walk_every_page(site, visit, None)
    finally:
        stop.set()
        writer.join(timeout=120)
    assert writes and all(w.returncode == 0 for w in writes)

    # a new post in the latest session shows on the live page within 30 seconds of being imported and built
    (before,) = rows(site.db, "SELECT posts FROM session_stats WHERE chat = 'CTQCollab' "
                              "ORDER BY start_at DESC LIMIT 1")[0]
    p = open_page(visit, site, "live", "?chat=CTQCollab")
    newest = hostile_post(tmp_path, created_at=latest_session_time(site.db), n=67)
    tagtrail("--db", str(site.db), "import", "mastodon", str(newest), "--instance", "c.social", cwd=site.home)
    tagtrail("--db", str(site.db), "--config", str(site.home / "tagtrail.toml"), "build", cwd=site.home)
    expect(p.get_by_test_id("stMetric").filter(has_text="Posts").first.get_by_test_id("stMetricValue")).to_have_text(
        f"{before + 1:,}", timeout=30_000)
    no_errors(p, visit)


def test_serving_beyond_this_machine_warns_that_the_archive_becomes_readable(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tagtrail.cli", "--db", str(tmp_path / "x.duckdb"), "dashboard", "--host", "0.0.0.0",
         "--port", str(port)],
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
    finally:
        stop(server)
    assert "anyone who can reach this address can read the archive" in line



def test_a_demo_too_small_to_make_is_a_one_line_error(tmp_path: Path) -> None:
    r = subprocess.run([sys.executable, "-m", "tagtrail.cli", "demo", "--dir", str(tmp_path), "--posts", "5",
                        "--no-serve"], cwd=tmp_path, capture_output=True, text=True,
                       env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert r.returncode == 1
    assert r.stderr.strip() == "tagtrail: demo: posts: at least 100"
