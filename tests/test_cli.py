"""The `tagtrail` command as a user meets it: import -> build -> export -> status, and one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from chat_scenario import write_instance_file
from factories import config_file

ROOT = Path(__file__).resolve().parent.parent


def tagtrail(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tagtrail.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200", **(env or {})},
    )


def test_a_user_imports_builds_exports_and_checks_status(tmp_path: Path) -> None:
    config_file(tmp_path)
    a = write_instance_file(tmp_path, "a.social")
    b = write_instance_file(tmp_path, "b.social")
    r = tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social")
    assert r.returncode == 0, r.stderr
    assert "a.social.jsonl: 16 new records from a.social (jsonl), 0 already stored" in r.stdout
    r = tagtrail(tmp_path, "import", "mastodon", b.name, "--instance", "https://b.social/")
    assert r.returncode == 0 and "from b.social" in r.stdout, r.stderr
    r = tagtrail(tmp_path, "build")
    assert r.returncode == 0, r.stderr
    assert "15 posts, 5 authors, 3 sessions" in r.stdout
    r = tagtrail(tmp_path, "export", "sessions", "--chat", "CTQCollab", "--excel")
    assert r.returncode == 0, r.stderr
    assert "sessions.csv: 3 rows" in r.stdout
    assert (tmp_path / "sessions.csv").read_bytes().startswith(b"\xef\xbb\xbfchat,")
    r = tagtrail(tmp_path, "status")
    assert r.returncode == 0, r.stderr
    assert "a.social" in r.stdout and "CTQCollab" in r.stdout


def test_export_to_standard_output_writes_the_csv_and_no_file(tmp_path: Path) -> None:
    config_file(tmp_path)
    a = write_instance_file(tmp_path, "a.social")
    assert tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social").returncode == 0
    assert tagtrail(tmp_path, "build").returncode == 0
    r = tagtrail(tmp_path, "export", "sessions", "--out", "-")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("chat,") and len(lines) == 1 + 3
    assert "sessions: 3 rows" in r.stderr
    assert not (tmp_path / "-").exists() and not (tmp_path / "sessions.csv").exists()


def test_the_archive_path_comes_from_db_or_the_environment(tmp_path: Path) -> None:
    config_file(tmp_path)
    a = write_instance_file(tmp_path, "a.social")
    assert tagtrail(tmp_path, "--db", "x.duckdb", "import", "mastodon", a.name, "--instance", "a.social").returncode == 0
    assert (tmp_path / "x.duckdb").exists()
    r = tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social", env={"TAGTRAIL_DB": "y.duckdb"})
    assert r.returncode == 0 and (tmp_path / "y.duckdb").exists()
    assert not (tmp_path / "tagtrail.duckdb").exists()


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    return lines[0]


def test_user_errors_are_one_line_naming_the_file_or_field(tmp_path: Path) -> None:
    assert one_line_error(tagtrail(tmp_path, "import", "mastodon", "missing.jsonl", "--instance", "a.social")) == (
        "tagtrail: missing.jsonl: no such file")
    config_file(tmp_path, '[[chats]]\nname = "x"\nhashtags = ["x"]\n'
                          'schedule = { weekday = "thursday", start = "20:00", timezone = "Mars/Olympus" }\n')
    assert one_line_error(tagtrail(tmp_path, "build")) == (
        "tagtrail: tagtrail.toml: chats[0].schedule.timezone: 'Mars/Olympus' is not an IANA time zone such as "
        "'America/New_York'")
    config_file(tmp_path, "[[chats]\n")
    assert one_line_error(tagtrail(tmp_path, "build")).startswith("tagtrail: tagtrail.toml: not valid TOML")
    config_file(tmp_path)
    assert one_line_error(tagtrail(tmp_path, "export", "sessions")) == (
        "tagtrail: tagtrail.duckdb: no archive here yet (import or capture something first)")
    a = write_instance_file(tmp_path, "a.social")
    tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social")
    tagtrail(tmp_path, "build")
    assert one_line_error(tagtrail(tmp_path, "export", "sesions")).startswith("tagtrail: unknown report 'sesions'")
    assert one_line_error(tagtrail(tmp_path, "export", "sessions", "--since", "last tuesday")) == (
        "tagtrail: 'last tuesday' is not a date or date-time like 2026-01-31 or 2026-01-31T20:00")
    assert one_line_error(tagtrail(tmp_path, "export", "posts", "--pseudonymize")) == (
        "tagtrail: --pseudonymize needs a key: set TAGTRAIL_PSEUDONYM_KEY or pseudonym_key in the config")


def test_malformed_lines_are_reported_with_their_line_numbers(tmp_path: Path) -> None:
    a = write_instance_file(tmp_path, "a.social")
    with a.open("a", encoding="utf-8") as f:
        f.write("{broken\n")
    r = tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social")
    assert r.returncode == 0
    assert "a.social.jsonl:17: not valid JSON" in r.stderr
    assert "16 new records from a.social (jsonl), 0 already stored, 1 malformed kept aside" in r.stdout


def test_pseudonymized_export_reads_its_key_from_the_environment(tmp_path: Path) -> None:
    config_file(tmp_path)
    a = write_instance_file(tmp_path, "a.social")
    tagtrail(tmp_path, "import", "mastodon", a.name, "--instance", "a.social")
    tagtrail(tmp_path, "build")
    r = tagtrail(tmp_path, "export", "participants", "--pseudonymize", "--out", "p.csv",
                 env={"TAGTRAIL_PSEUDONYM_KEY": "secret-key-123"})
    assert r.returncode == 0, r.stderr
    text = (tmp_path / "p.csv").read_text(encoding="utf-8")
    assert "ann@a.social" not in text and "secret-key-123" not in text
    assert "secret-key-123" not in r.stdout + r.stderr
