"""CSV reports: the columns asked for, safe in spreadsheets, ids as text, and pseudonyms that hide people."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from chat_scenario import write_instance_file
from factories import build_with, config_file, status, write_jsonl
from test_import_mastodon import import_file

from warehouse.reports import REPORTS, ReportError, export

REQUIRED = {
    "sessions": ["chat", "session_id", "start_at", "end_at", "local_date", "posts", "participants", "newcomers",
                 "returning", "replies", "questions", "median_first_reply_minutes"],
    "participants": ["chat", "author_id", "handle", "first_session", "last_session", "sessions_attended", "posts",
                     "replies_sent", "replies_received", "distinct_partners", "role"],
    "posts": ["chat", "session_id", "post_id", "url", "created_at", "author_id", "text", "in_reply_to_post_id",
              "thread_root_id", "depth", "is_question", "answers_question"],
    "threads": ["chat", "session_id", "thread_root_id", "posts"],
    "interactions": ["source_author_id", "target_author_id", "kind", "session_id", "count"],
    "questions": ["session_id", "number", "text", "answers", "answerers"],
    "retention": ["cohort_session", "sessions_later", "share"],
    "newcomers": ["author_id", "got_reply", "first_replier_id", "minutes_to_first_reply", "returned"],
}


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("reports")
    db = tmp / "t.duckdb"
    for instance in ("a.social", "b.social"):
        import_file(db, write_instance_file(tmp, instance), instance)
    evil = status(n=99, user="eve", home="a.social", serving="a.social", local_id="99", account_id="98",
                  created_at="2026-03-06T01:30:00.000Z",
                  html='<p>=HYPERLINK("http://x.test","click") #CTQCollab</p>')
    minus = status(n=98, user="ann", home="a.social", serving="a.social", local_id="97", account_id="10009",
                   created_at="2026-03-06T01:31:00.000Z", html="<p>-1 for that idea, @bob@b.social #CTQCollab</p>")
    import_file(db, write_jsonl(tmp / "extra.jsonl", [evil, minus]), "a.social")
    build_with(db, config_file(tmp))
    return db


def read_csv(path: Path, *, bom: bool = False) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


@pytest.mark.parametrize("report", sorted(REPORTS))
def test_every_report_has_one_header_row_and_the_columns_asked_for(archive: Path, tmp_path: Path, report: str) -> None:
    out = tmp_path / f"{report}.csv"
    count = export(archive, report, out)
    got = read_csv(out)
    assert len(got) == count
    assert set(REQUIRED[report]) <= set(got[0].keys() if got else [])
    assert out.read_text(encoding="utf-8").count("\n") == count + 1


def test_cells_a_spreadsheet_would_run_are_neutralized(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    export(archive, "posts", out)
    texts = {r["text"] for r in read_csv(out)}
    assert "'=HYPERLINK(\"http://x.test\",\"click\") #CTQCollab" in texts
    assert "'-1 for that idea, @bob@b.social #CTQCollab" in texts
    assert not any(t[:1] in "=+-@\t\r" for t in texts if t)


def test_ids_are_written_as_quoted_text(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "posts.csv"
    export(archive, "posts", out)
    first_row = out.read_text(encoding="utf-8").splitlines()[1]  # cat's lead-in post comes first
    assert first_row.startswith('CTQCollab,"CTQCollab-2026-03-05","https://b.social/users/cat/statuses/6",')
    assert ',"cat@b.social",' in first_row


def test_excel_gets_a_byte_order_mark_and_the_chat_filter_applies(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "sessions.csv"
    assert export(archive, "sessions", out, chat="ctqcollab", excel=True) == 3
    assert [r["session_id"] for r in read_csv(out, bom=True)] == [
        "CTQCollab-2026-03-05", "CTQCollab-2026-03-12", "CTQCollab-2026-03-19"]
    with pytest.raises(ReportError, match="no chat named 'nope'"):
        export(archive, "sessions", out, chat="nope")


def test_pseudonyms_are_stable_keyed_and_reach_into_text(archive: Path, tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    export(archive, "posts", a, pseudonymize_key="k1")
    export(archive, "posts", b, pseudonymize_key="k1")
    export(archive, "posts", c, pseudonymize_key="k2")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    body = a.read_text(encoding="utf-8")
    for name in ("@host", "host@", "ann@", "@bob", "bob@", "a.social/@", "Ann"):  # names in free text stay
        assert name not in body, name
    rows_ = read_csv(a)
    assert all(r["author_id"].startswith("u_") and r["post_id"].startswith("p_") for r in rows_)
    assert all(r["url"] == "" for r in rows_)
    # bob's id and the @mention of bob in ann's text get the same pseudonym
    bob = next(r["author_id"] for r in rows_ if "same here" in r["text"])
    assert any(f"@{bob}" in r["text"] for r in rows_ if "for that idea" in r["text"])


def test_a_date_range_filters_the_report(archive: Path, tmp_path: Path) -> None:
    from tagtrail.timeparse import parse_when

    out = tmp_path / "sessions.csv"
    assert export(archive, "sessions", out, since=parse_when("2026-03-10"), until=parse_when("2026-03-15")) == 1


def test_an_unbuilt_archive_says_so(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    import_file(db, write_instance_file(tmp_path, "a.social"), "a.social")
    with pytest.raises(ReportError, match="has not been built yet"):
        export(db, "sessions", tmp_path / "x.csv")
