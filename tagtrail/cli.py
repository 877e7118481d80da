"""The `tagtrail` command: a thin layer that wires collectors, the warehouse and the dashboard together.

A user error (bad file, bad config, unknown chat) is one line on stderr and exit status 1, never a traceback.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, ProgressColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from tagtrail.config import Config, ConfigError, load_config
from tagtrail.timeparse import TimeParseError, parse_when
from warehouse.db import ArchiveError, default_db_path

app = typer.Typer(
    help="Archive and study hashtag chats from Mastodon, X and the archives you already hold.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
import_app = typer.Typer(help="Import files you already hold.", no_args_is_help=True)
app.add_typer(import_app, name="import")
capture_app = typer.Typer(help="Capture a chat's posts from a platform.", no_args_is_help=True)
app.add_typer(capture_app, name="capture")

out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


class UserError(Exception):
    """Anything the user can fix; shown as one line."""


USER_ERRORS: tuple[type[Exception], ...] = (UserError, ConfigError, ArchiveError, TimeParseError)


@dataclass
class Context:
    db: Path
    config_path: Path
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        Path | None, typer.Option("--db", help="The archive file [env TAGTRAIL_DB; default ./tagtrail.duckdb]")
    ] = None,
    config: Annotated[Path, typer.Option("--config", help="The configuration file.")] = Path("tagtrail.toml"),
) -> None:
    ctx.obj = Context(db=db or default_db_path(), config_path=config)


@import_app.command("mastodon")
def import_mastodon(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Files of Mastodon statuses (JSON Lines or a JSON array).")],
    instance: Annotated[str, typer.Option("--instance", help="The instance that served these statuses, e.g. mastodon.social")],
) -> None:
    """Import Mastodon statuses exactly as an instance's API returned them."""
    from collectors.archives.mastodon import detect_format, read_blocks
    from warehouse.archive import Archive, StoreResult

    obj: Context = ctx.obj
    host = _instance_host(instance)
    archive = Archive(obj.db)
    for path in files:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
    for path in files:
        total = StoreResult()
        fetched_at = datetime.now(UTC)
        fmt = detect_format(path)
        with _progress() as progress:
            task = progress.add_task(f"{path.name}", total=path.stat().st_size)
            if fmt == "array":
                total.add(archive.store_mastodon_array(path, instance=host, file=str(path), fetched_at=fetched_at))
            else:
                for block, result in archive.store_mastodon_blocks(
                    read_blocks(path), instance=host, file=str(path), fetched_at=fetched_at
                ):
                    total.add(result)
                    progress.update(task, completed=block.bytes_read)
            progress.update(task, completed=path.stat().st_size)
        for line, reason in total.rejected[:10]:
            err.print(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}", markup=False)
        if len(total.rejected) > 10:
            err.print(f"{path}: … and {len(total.rejected) - 10} more malformed lines", markup=False)
        kept = f", {len(total.rejected)} malformed kept aside" if total.rejected else ""
        out.print(
            f"{path}: {total.new:,} new records from {host} ({fmt}), "
            f"{total.duplicates:,} already stored{kept}"
        )


@app.command()
def build(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Rebuild every derived table from the raw records.")] = False,
) -> None:
    """Turn raw records into canonical posts, sessions, threads and the community measures."""
    from warehouse.build import build as run_build

    obj: Context = ctx.obj
    config = obj.config
    if not config.chats:
        err.print(f"warning: {obj.config_path} defines no chats; only posts and authors will be built")
    with progress_display(TextColumn("[bold]build[/]"), BarColumn(), TextColumn("{task.description}")) as progress:
        task = progress.add_task("", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=name, completed=done, total=total)

        try:
            report = run_build(obj.db, config, full=full, progress=step)
        except RuntimeError as e:
            raise UserError(str(e)) from None
    rows = report.rows
    out.print(
        f"built in {report.seconds:.1f}s ({'full' if full else 'incremental'}): "
        f"{rows.get('posts', 0):,} posts, {rows.get('authors', 0):,} authors, {rows.get('sessions', 0):,} sessions, "
        f"{rows.get('chat_posts', 0):,} chat posts, {rows.get('participants', 0):,} participants"
    )


@app.command()
def export(
    ctx: typer.Context,
    report: Annotated[str, typer.Argument(help="sessions, participants, posts, threads, interactions, questions, retention, newcomers")],
    chat: Annotated[str | None, typer.Option("--chat", help="Only this chat.")] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Output file, or - for standard output [default: REPORT.csv]")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date/time (UTC unless it says).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date/time.")] = None,
    pseudonymize: Annotated[bool, typer.Option("--pseudonymize", help="Replace people and post ids with keyed hashes.")] = False,
    excel: Annotated[bool, typer.Option("--excel", help="Add a byte-order mark so Excel reads UTF-8.")] = False,
) -> None:
    """Write a CSV report."""
    from warehouse.reports import ReportError
    from warehouse.reports import export as run_export

    obj: Context = ctx.obj
    key = None
    if pseudonymize:
        key = obj.config.pseudonymization_key()
        if not key:
            raise UserError("--pseudonymize needs a key: set TAGTRAIL_PSEUDONYM_KEY or pseudonym_key in the config")
    to_stdout = out_file == Path("-")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "report.csv" if to_stdout else out_file or Path(f"{report}.csv")
        try:
            rows = run_export(
                obj.db, report, target, chat=chat, since=parse_when(since) if since else None,
                until=parse_when(until) if until else None, pseudonymize_key=key, excel=excel,
            )
        except ReportError as e:
            raise UserError(str(e)) from None
        if to_stdout:
            # The CSV goes to stdout for a pipe (R's read.csv(pipe(...)), csvkit); the count to stderr.
            with target.open("rb") as src:
                shutil.copyfileobj(src, sys.stdout.buffer, 1 << 20)
            sys.stdout.buffer.flush()
            err.print(f"{report}: {rows:,} rows")
        else:
            out.print(f"{target}: {rows:,} rows")


@app.command()
def status(ctx: typer.Context) -> None:
    """What the archive holds: sources, instances, checkpoints, capture errors, chats."""
    from warehouse.status import archive_status

    obj: Context = ctx.obj
    try:
        chats = {c.name: c.hashtags for c in obj.config.chats}
    except ConfigError:
        chats = {}  # the archive can be looked at without a valid config
    st = archive_status(obj.db, chats)
    table = Table(title=f"{obj.db}", title_justify="left")
    for col in ("source", "origin", "records", "rejected", "posts", "only here", "last fetched"):
        table.add_column(
            col, justify="right" if col in {"records", "rejected", "posts", "only here"} else "left", overflow="fold"
        )
    for row in st.sources:
        table.add_row(row.source, row.origin, f"{row.records:,}", f"{row.rejected:,}",
                      "" if row.posts is None else f"{row.posts:,}",
                      "" if row.only_here is None else f"{row.only_here:,}", _when(row.last_fetched))
    out.print(table)
    if st.captures:
        cap = Table(title="capture", title_justify="left")
        for col in ("source", "origin", "key", "checkpoint", "last success", "last error", "posts"):
            cap.add_column(col, overflow="fold")
        for c in st.captures:
            cap.add_row(c.source, c.origin, c.key, c.checkpoint or "", _when(c.last_success), c.last_error or "",
                        f"{c.posts:,}")
        out.print(cap)
    if st.chat_captures:
        from tagtrail.capture_mastodon import chat_capture_table

        out.print(chat_capture_table(st.chat_captures))
    if st.chats:
        chats = Table(title="chats (as last built)", title_justify="left")
        for col in ("chat", "sessions", "posts", "participants", "first session", "last session"):
            chats.add_column(col, overflow="fold")
        for c in st.chats:
            chats.add_row(c.chat, f"{c.sessions:,}", f"{c.posts:,}", f"{c.participants:,}", _when(c.first), _when(c.last))
        out.print(chats)
    elif not st.built:
        out.print("not built yet: run `tagtrail build`")


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Argument(help="Directory for the instance files, tagtrail.toml and ground_truth.json")],
    posts: Annotated[int, typer.Option("--posts", help="About how many distinct posts.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same files.")] = 1,
    weeks: Annotated[int | None, typer.Option("--weeks", help="Weeks of sessions [default: from --posts]")] = None,
    start: Annotated[str | None, typer.Option("--start", help="First week, YYYY-MM-DD.")] = None,
    instances: Annotated[str | None, typer.Option("--instances", help="Comma-separated instance hosts.")] = None,
) -> None:
    """Write a synthetic Mastodon chat community (for demos, tests and benchmarks) to import and build."""
    from datetime import date

    from tagtrail import synthetic

    try:
        first = date.fromisoformat(start) if start else synthetic.DEFAULT_START
    except ValueError:
        raise UserError(f"--start: {start!r} is not a date like 2025-01-02") from None
    hosts = tuple(h.strip() for h in instances.split(",") if h.strip()) if instances else synthetic.DEFAULT_INSTANCES
    try:
        truth = synthetic.generate(out_dir, posts=posts, seed=seed, instances=hosts, start=first, weeks=weeks)
    except ValueError as e:
        raise UserError(f"generate: {e}") from None
    out.print(
        f"{out_dir}: {truth.posts:,} posts over {truth.weeks} weeks on {len(truth.instances)} instances "
        f"({truth.bytes / 1e6:,.1f} MB); import each <instance>.jsonl with --instance <instance>, "
        f"build with --config {out_dir / truth.config}"
    )


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _instance_host(instance: str) -> str:
    from urllib.parse import urlparse

    value = instance.strip()
    host = urlparse(value).netloc if "://" in value else value.strip("/")
    if not host or "/" in host or " " in host:
        raise UserError(f"--instance: {instance!r} is not an instance host such as mastodon.social")
    return host.lower()


def progress_display(*columns: ProgressColumn) -> Progress:
    """The one way commands show progress: on stderr, gone when done, and only on a terminal (piped or logged
    output gets no bar and no empty line left behind)."""
    return Progress(*columns, console=err, transient=True, disable=not err.is_terminal)


def _progress() -> Progress:
    return progress_display(
        TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn()
    )


# Commands kept in their own modules register themselves on the apps above.
from tagtrail import capture_mastodon, dashboard_commands, twitter_commands  # noqa: E402, F401


def main() -> None:
    try:
        app()
    except USER_ERRORS as e:
        err.print(f"tagtrail: {e}", soft_wrap=True, markup=False)
        sys.exit(1)


if __name__ == "__main__":
    # Run the importable module rather than this __main__ copy of it: the commands that other modules register
    # (tagtrail.twitter_commands) are registered on that module's apps.
    from tagtrail.cli import main as _main

    _main()
