"""The X/Twitter commands: `tagtrail import twarc|tags|twitter-archive FILE…` and `tagtrail capture twitter`.

Thin: the collectors read files and the API, the warehouse's Archive stores raw records, rejects and checkpoints.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import SpinnerColumn, TextColumn

from collectors.archives.problems import LineError, UnknownFormat
from collectors.archives.twitter_files import Detected, detect, read
from collectors.records import RawRecord
from tagtrail.cli import Context, UserError, capture_app, err, import_app, out, progress_display
from tagtrail.live_build import BuildEvery, building_every
from tagtrail.timeparse import parse_when

if TYPE_CHECKING:
    from warehouse.archive import Archive
    from warehouse.build import BuildReport

BATCH = 5_000  # records per write: short transactions, so that readers are never kept waiting
SHOWN_ERRORS = 10


def _import(ctx: typer.Context, files: list[Path], expected: str) -> None:
    from warehouse.archive import Archive

    obj: Context = ctx.obj
    archive = Archive(obj.db)
    found: list[tuple[Path, Detected]] = []
    for path in files:
        try:
            detected = detect(path)
        except UnknownFormat as e:
            raise UserError(str(e)) from None
        if detected.source != expected:
            raise UserError(
                f"{path}: this is a {detected.description}, not a {expected} file; "
                f"use `tagtrail import {detected.source}`"
            )
        found.append((path, detected))
    for path, detected in found:
        out.print(f"{path}: {detected.description}", markup=False)
        new, seen, errors = _store(archive, path, detected.source, read(path, detected))
        for e in errors[:SHOWN_ERRORS]:
            err.print(str(e), markup=False)
        if len(errors) > SHOWN_ERRORS:
            err.print(f"{path}: … and {len(errors) - SHOWN_ERRORS} more malformed lines", markup=False)
        kept = f", {len(errors):,} malformed kept aside" if errors else ""
        out.print(f"{path}: {new:,} new records, {seen - new:,} already stored{kept}", markup=False)


def _store(
    archive: Archive, path: Path, source: str, items: Iterable[RawRecord | LineError]
) -> tuple[int, int, list[LineError]]:
    """Write records in batches and keep the errors aside; (new records, records read, errors)."""
    new = seen = 0
    errors: list[LineError] = []
    batch: list[RawRecord] = []
    with progress_display(SpinnerColumn(), TextColumn("{task.description}")) as progress:
        task = progress.add_task(path.name)

        def flush() -> None:
            nonlocal new
            if batch:
                new += archive.write(batch)
                batch.clear()

        try:
            for item in items:
                if isinstance(item, LineError):
                    errors.append(item)
                    continue
                batch.append(item)
                seen += 1
                if len(batch) >= BATCH:
                    flush()
                    progress.update(task, description=f"{path.name}: {seen:,} records, line {item.line:,}")
            flush()
        except UnknownFormat as e:
            raise UserError(str(e)) from None
    if errors:
        archive.reject(
            source,
            str(path),
            [(e.file, e.line, e.reason, e.text) for e in errors],
            at=datetime.now(UTC),
        )
    return new, seen, errors


@import_app.command("twarc")
def import_twarc(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="twarc JSON Lines: twarc2 pages or flattened, or twarc 1 / v1.1.")
    ],
) -> None:
    """Import tweets collected with twarc (the format is recognized from the content)."""
    _import(ctx, files, "twarc")


@import_app.command("tags")
def import_tags(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="A TAGS archive sheet saved as CSV (the Archive sheet).")
    ],
) -> None:
    """Import a TAGS (Twitter Archiving Google Sheet) archive saved as CSV."""
    _import(ctx, files, "tags")


@import_app.command("twitter-archive")
def import_twitter_archive(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="The zip X gives an account holder (or its data/tweets.js).")
    ],
) -> None:
    """Import the tweets of the archive X gives an account holder."""
    _import(ctx, files, "twitter-archive")


def _say_failed_build(report: BuildReport | None, error: str | None) -> None:
    if error:
        err.print(f"build failed (capture goes on; retrying): {error}", markup=False)


@capture_app.command("twitter")
def capture_twitter(
    ctx: typer.Context,
    chat: Annotated[str, typer.Option("--chat", help="The chat (from the config) whose hashtags to search.")],
    since: Annotated[
        str | None, typer.Option("--since", help="From this date/time (UTC unless it says).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date/time.")] = None,
    archive_search: Annotated[
        bool,
        typer.Option(
            "--archive/--recent", help="Full-archive search (needs the access level) or the last 7 days."
        ),
    ] = False,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep polling for new tweets (Ctrl-C stops).")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="Seconds between polls with --follow.")
    ] = 30.0,
    context: Annotated[
        bool, typer.Option("--context", help="Also fetch the tweets replied to that were not captured.")
    ] = False,
    max_pages: Annotated[
        int | None, typer.Option("--max-pages", help="Stop after this many pages per search.")
    ] = None,
    build_every: BuildEvery = 20,
) -> None:
    """Capture a chat's tweets from the X API v2 (bearer token in TAGTRAIL_TWITTER_BEARER_TOKEN)."""
    from collectors import twitter
    from warehouse.archive import Archive

    obj: Context = ctx.obj
    query = twitter.hashtag_query(obj.config.chat(chat).hashtags)
    token = os.environ.get(twitter.TOKEN_ENV) or obj.config.twitter_bearer_token
    archive = Archive(obj.db)

    def known(ids: Iterable[str]) -> set[str]:
        return {p.removeprefix("x:") for p in archive.held_posts([f"x:{i}" for i in ids])}

    with (
        progress_display(SpinnerColumn(), TextColumn("{task.description}")) as progress,
        building_every(obj.db, obj.config, build_every if follow else 0, on_build=_say_failed_build),
    ):
        task = progress.add_task(f"X {query}")

        def show(tweets: int, oldest: datetime | None) -> None:
            back = f", back to {oldest:%Y-%m-%d %H:%M} UTC" if oldest else ""
            progress.update(task, description=f"X {query}: {tweets:,} tweets{back}")

        try:
            client = twitter.make_client(token)
            if follow:
                result = twitter.follow(
                    client,
                    archive,
                    archive,
                    query,
                    interval=interval,
                    context=context,
                    known=known,
                    progress=show,
                )
            else:
                result = twitter.capture(
                    client,
                    archive,
                    archive,
                    query,
                    archive=archive_search,
                    since=parse_when(since) if since else None,
                    until=parse_when(until) if until else None,
                    context=context,
                    known=known,
                    max_pages=max_pages,
                    progress=show,
                )
        except twitter.TwitterCaptureError as e:
            raise UserError(str(e)) from None
        except KeyboardInterrupt:
            out.print("stopped; the next capture resumes from the checkpoint")
            return
    extra = f", {result.context_tweets:,} context tweets" if context else ""
    out.print(
        f"X {query}: {result.tweets:,} tweets in {result.pages:,} pages ({result.new_records:,} new){extra}",
        markup=False,
    )
