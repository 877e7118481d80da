"""`tagtrail dashboard` (serve the Streamlit dashboard on an archive) and `tagtrail demo` (build the demo archive
from the synthetic community through the normal import and build path, then serve it)."""

from __future__ import annotations

import ipaddress
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from tagtrail.cli import Context, app, err, out

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
