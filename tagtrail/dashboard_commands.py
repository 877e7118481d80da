"""`tagtrail dashboard` (serve the Streamlit dashboard on an archive) and `tagtrail demo` (build the demo archive
from the synthetic community through the normal import and build path, then serve it)."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tagtrail.cli import Context, UserError, app, err, out

APP = Path(__file__).resolve().parent.parent / "dashboard" / "app.py"


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(db: Path, host: str, port: int, pseudonym_key: str | None) -> NoReturn:
    """Become `streamlit run dashboard/app.py` on the archive (exec: a stop signal reaches the server itself)."""
    if not is_loopback(host):
        err.print(f"warning: serving on {host}: anyone who can reach this address can read the archive {db}",
                  markup=False)
    env = {**os.environ, "TAGTRAIL_DB": str(db.resolve())}
    if pseudonym_key:
        env["TAGTRAIL_PSEUDONYM_KEY"] = pseudonym_key
    command = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", host, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--global.developmentMode", "false", "--client.toolbarMode", "minimal",
    ]
    out.print(f"tagtrail dashboard: http://{host}:{port}  (archive {db}; Ctrl+C stops it)", markup=False)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


@app.command()
def dashboard(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; anything but loopback exposes the archive.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8501,
) -> None:
    """Serve the dashboard (read-only) on the archive."""
    obj: Context = ctx.obj
    serve(obj.db, host, port, obj.config.pseudonymization_key())


def build_demo(directory: Path, *, posts: int, seed: int, weeks: int) -> Path:
    """Generate the synthetic community into `directory` and build its archive the way a user would: each
    instance's file through `tagtrail import mastodon`, then `tagtrail build`. Returns the archive's path."""
    from tagtrail.synthetic import generate

    directory.mkdir(parents=True, exist_ok=True)
    db = directory / "tagtrail.duckdb"
    for stale in (db, directory / "tagtrail.duckdb.wal"):
        stale.unlink(missing_ok=True)
    try:
        truth = generate(directory, posts=posts, seed=seed, weeks=weeks)
    except ValueError as e:
        raise UserError(f"demo: {e}") from None
    config = directory / "tagtrail.toml"
    command = typer.main.get_command(app)
    for instance in sorted(truth.lines):
        command.main(["--db", str(db), "--config", str(config), "import", "mastodon",
                      str(directory / f"{instance}.jsonl"), "--instance", instance], standalone_mode=False)
    command.main(["--db", str(db), "--config", str(config), "build"], standalone_mode=False)
    return db


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Where to write the demo's files and archive.")] = Path("demo"),
    posts: Annotated[int, typer.Option("--posts", help="How many posts the synthetic community writes.")] = 20_000,
    weeks: Annotated[int, typer.Option("--weeks", help="How many weeks of sessions.")] = 52,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same community.")] = 1,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8501,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the demo archive only.")] = False,
) -> None:
    """Build a demo archive (a year of a synthetic chat community on three instances) and serve the dashboard."""
    out.print(f"building the demo archive in {directory}/ ({posts:,} posts over {weeks} weeks, seed {seed})")
    db = build_demo(directory, posts=posts, seed=seed, weeks=weeks)
    if not no_serve:
        serve(db, host, port, None)
