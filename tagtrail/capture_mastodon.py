"""`tagtrail capture mastodon`: back-fill (and with --follow, stream) a chat's hashtags from several instances.

Thin: collectors.mastodon talks to the instances, the warehouse's Archive stores records and checkpoints. This
module picks the instances and tokens, shows a live line per instance and prints the summary.
"""

from __future__ import annotations

import os
import signal
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

import typer
from rich.live import Live
from rich.table import Table

from tagtrail.cli import Context, UserError, capture_app, err, out
from tagtrail.live_build import BuildEvery, building_every
from tagtrail.timeparse import parse_when

if TYPE_CHECKING:
    from collections.abc import Callable

    from collectors.mastodon import InstanceStats
    from collectors.mastodon_instances import Instance
    from tagtrail.config import Config
    from warehouse.build import BuildReport
    from warehouse.status import ChatCapture


def resolve_instances(values: list[str], config: Config, env: dict[str, str]) -> list[Instance]:
    """Instances from --instance (or the chat's config), each with its token from the environment or config."""
    from collectors.mastodon_instances import Instance, parse_instance, token_env_name

    found: dict[str, Instance] = {}
    for value in values:
        try:
            host, base_url = parse_instance(value)
        except ValueError as e:
            raise UserError(f"--instance: {e}") from None
        token = env.get(token_env_name(host)) or config.mastodon_tokens.get(host)
        found.setdefault(host, Instance(host, base_url, token.strip() if token else None))
    return list(found.values())


def _stop_on_sigterm() -> None:
    """A service manager stops a following capture with SIGTERM: end as Ctrl-C does, with the summary."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, interrupt)


def _lag(at: datetime | None) -> str:
    if at is None:
        return ""
    seconds = max((datetime.now(UTC) - at).total_seconds(), 0)
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def _table(stats: list[InstanceStats], built: str = "") -> Table:
    table = Table(box=None, show_header=True, header_style="bold", caption=built or None, caption_justify="left")
    for col in ("instance", "posts", "newest", "lag", "reconnects", "waits", "now"):
        table.add_column(col, justify="right" if col in {"posts", "reconnects", "waits"} else "left")
    for s in stats:
        now = s.error or s.state
        table.add_row(
            s.host,
            f"{s.posts:,}",
            f"{s.newest_at:%Y-%m-%d %H:%M} UTC" if s.newest_at else "",
            _lag(s.newest_at),
            f"{s.reconnects:,}",
            f"{s.rate_limit_waits:,}",
            now,
        )
    return table


def chat_capture_table(rows: list[ChatCapture]) -> Table:
    """`tagtrail status`: per chat and instance, how far capture got and what the instance adds (coverage)."""
    table = Table(title="Mastodon capture by chat", title_justify="left")
    for col in (
        "chat",
        "instance",
        "checkpoint",
        "last success",
        "last error",
        "posts",
        "chat posts",
        "only here",
    ):
        table.add_column(
            col, justify="right" if col in {"posts", "chat posts", "only here"} else "left", overflow="fold"
        )
    for r in rows:
        checkpoint = (
            f"{r.newest_at:%Y-%m-%d %H:%M} UTC ({r.newest_id})" if r.newest_at else (r.newest_id or "")
        )
        table.add_row(
            r.chat,
            r.origin,
            checkpoint,
            f"{r.last_success:%Y-%m-%d %H:%M} UTC" if r.last_success else "",
            r.last_error or "",
            f"{r.posts:,}",
            "" if r.chat_posts is None else f"{r.chat_posts:,}",
            "" if r.only_here is None else f"{r.only_here:,}",
        )
    return table


def summary_line(s: InstanceStats) -> str:
    parts = [f"{s.posts:,} posts read ({s.new:,} new records)"]
    for count, what in (
        (s.context, "context posts"),
        (s.edits, "edits"),
        (s.deletes, "deletes"),
        (s.skipped_opt_out, "skipped: author opted out"),
        (s.skipped_private, "skipped: not public"),
        (s.rejected, "malformed kept aside"),
        (s.reconnects, "reconnects"),
        (s.rate_limit_waits, "rate-limit waits"),
    ):
        if count:
            parts.append(f"{count:,} {what}")
    line = f"{s.host}: " + ", ".join(parts)
    if s.warning:
        line += f"; note: {s.warning}"
    if s.error:
        line += f"; FAILED: {s.error}"
    return line


def _say_built(
    built: list[str], live: Live, stats: list[InstanceStats]
) -> Callable[[BuildReport | None, str | None], None]:
    """The live table's caption: when the marts were last rebuilt, or why a rebuild failed."""

    def say(report: BuildReport | None, error: str | None) -> None:
        at = f"{datetime.now(UTC):%H:%M:%S} UTC"
        built[0] = f"build failed at {at}: {error}" if error else f"marts rebuilt at {at} ({report.seconds:.1f} s)"
        live.update(_table(stats, built[0]))

    return say


@capture_app.command("mastodon")
def capture_mastodon(
    ctx: typer.Context,
    chat: Annotated[
        str, typer.Option("--chat", help="The chat (from the config) whose hashtags to capture.")
    ],
    instance: Annotated[
        list[str] | None,
        typer.Option(
            "--instance",
            help="An instance: a host (https) or a base URL; repeat for several [default: the chat's instances].",
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Back-fill down to this date/time (UTC unless it says).")
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="After the back-fill, stream new posts until Ctrl-C.")
    ] = False,
    context: Annotated[
        bool, typer.Option("--context/--no-context", help="Also store the threads around replies.")
    ] = True,
    build_every: BuildEvery = 20,
) -> None:
    """Capture a chat's posts from Mastodon instances (tokens in TAGTRAIL_MASTODON_TOKEN_<HOST>, optional)."""
    from collectors import mastodon
    from warehouse.archive import Archive

    obj: Context = ctx.obj
    config = obj.config
    the_chat = config.chat(chat)
    values = instance or the_chat.instances
    if not values:
        raise UserError(
            f"no instances for chat {the_chat.name!r}: pass --instance or set instances = [...] in {obj.config_path}"
        )
    instances = resolve_instances(values, config, dict(os.environ))
    archive = Archive(obj.db)
    stop = threading.Event()
    _stop_on_sigterm()
    stats_seen: list[InstanceStats] = [mastodon.InstanceStats(i.host) for i in instances]
    by_host = {s.host: i for i, s in enumerate(stats_seen)}

    built = [""]

    with (
        Live(_table(stats_seen), console=err, refresh_per_second=4, transient=True) as live,
        building_every(obj.db, config, build_every if follow else 0, on_build=_say_built(built, live, stats_seen)),
    ):

        def changed(s: InstanceStats) -> None:
            stats_seen[by_host[s.host]] = s
            live.update(_table(stats_seen, built[0]))

        try:
            stats = mastodon.capture(
                instances,
                the_chat.hashtags,
                archive,
                archive,
                since=parse_when(since) if since else None,
                follow=follow,
                context=context,
                respect_opt_out=config.respect_opt_out,
                stop=stop,
                on_change=changed,
            )
        except mastodon.MastodonCaptureError as e:
            raise UserError(str(e)) from None
    if stop.is_set():
        out.print("stopped; the next capture resumes from the checkpoints")
    for s in stats:
        out.print(summary_line(s), markup=False)
    if all(s.error for s in stats):
        raise typer.Exit(1)
