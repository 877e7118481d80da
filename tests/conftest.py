"""Shared test set-up: import path for the test helpers and where the real recorded fixtures live."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def _shared_fixtures() -> Path:
    # CI clones the repository with shared/ beside it; a git worktree elsewhere finds it through the env or /work.
    for candidate in (os.environ.get("TAGTRAIL_SHARED"), ROOT.parent / "shared", Path("/work/shared")):
        if candidate and (Path(candidate) / "fixtures" / "real").is_dir():
            return Path(candidate) / "fixtures" / "real"
    raise RuntimeError("the real recorded fixtures (../shared/fixtures/real) are missing")


SHARED_FIXTURES = _shared_fixtures()
