"""Rebuild the marts every few seconds while a capture follows a chat, so the dashboard shows new posts.

The dashboard only reads marts, and marts change only when `tagtrail build` runs. A following capture therefore
runs incremental builds beside itself (in this process: warehouse.db lets its transactions take turns with the
capture's writes), and only when new raw records arrived since the last one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from tagtrail.config import Config
from warehouse.build import BuildReport, build, latest_raw_id

# The option of every following capture command.
BuildEvery = Annotated[
    float,
    typer.Option(
        "--build-every",
        help="With --follow: rebuild the marts this often (seconds) when new posts came, so the dashboard's "
        "pages show them; 0 turns it off.",
    ),
]


class LiveBuilder:
    """A thread that builds every `every` seconds while new raw records keep arriving."""

    def __init__(
        self,
        db: Path | str,
        config: Config,
        every: float,
        on_build: Callable[[BuildReport | None, str | None], None] | None = None,
    ) -> None:
        self.db = db
        self.config = config
        self.every = every
        self.on_build = on_build
        self.builds = 0
        self.last_error: str | None = None
        self._built_up_to: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="tagtrail-live-build", daemon=True)

    def build_if_new(self) -> BuildReport | None:
        """One incremental build, unless no raw record arrived since the last one."""
        newest = latest_raw_id(self.db)
        if newest == self._built_up_to:
            return None
        try:
            report = build(self.db, self.config)
        except Exception as e:  # a failed build must not end the capture; say why and try again later
            self.last_error = f"{type(e).__name__}: {e}".splitlines()[0]
            if self.on_build:
                self.on_build(None, self.last_error)
            return None
        self._built_up_to = newest
        self.builds += 1
        self.last_error = None
        if self.on_build:
            self.on_build(report, None)
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            self.build_if_new()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then build once more so the archive ends up built with everything captured."""
        self._stop.set()
        self._thread.join()
        self.build_if_new()


@contextmanager
def building_every(
    db: Path | str,
    config: Config,
    every: float,
    on_build: Callable[[BuildReport | None, str | None], None] | None = None,
) -> Iterator[LiveBuilder | None]:
    """Run a LiveBuilder around a following capture; `every` <= 0 turns it off."""
    if every <= 0:
        yield None
        return
    builder = LiveBuilder(db, config, every, on_build)
    builder.start()
    try:
        yield builder
    finally:
        builder.stop()
