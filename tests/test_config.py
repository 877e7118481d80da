"""The configuration file: the chat format from the issue, defaults, and errors that name the field."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from tagtrail.config import ConfigError, load_config, parse_duration


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tagtrail.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_chat_format_loads_with_its_defaults(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
[[chats]]
name = "CTQCollab"
hashtags = ["CTQCollab", "#ctqchat"]
schedule = { weekday = "thursday", start = "20:00", duration = "60m", timezone = "America/New_York" }
hosts = ["@ctq@mastodon.social"]
"""))
    chat = cfg.chat("ctqcollab")
    assert chat.hashtags == ["ctqcollab", "ctqchat"]
    assert chat.schedule is not None and chat.schedule.start == time(20, 0) and chat.schedule.isodow == 4
    assert (chat.lead_in, chat.wrap_up, chat.gap) == (timedelta(minutes=15), timedelta(minutes=30),
                                                      timedelta(minutes=30))
    assert chat.hosts == ["ctq@mastodon.social"]
    assert cfg.respect_opt_out is True


@pytest.mark.parametrize(("value", "minutes"), [("60m", 60), ("1h", 60), ("1h30m", 90), ("90", 90), (45, 45)])
def test_durations(value: object, minutes: int) -> None:
    assert parse_duration(value) == timedelta(minutes=minutes)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[chats]]\nname = "x"\nhashtags = []\n', "tagtrail.toml: chats[0].hashtags: List should have at least 1 item"),
        ('[[chats]]\nname = "x"\nhashtags = ["x"]\nschedule = { weekday = "funday", start = "20:00", '
         'timezone = "UTC" }\n', "tagtrail.toml: chats[0].schedule.weekday: 'funday' is not a weekday"),
        ('[[chats]]\nname = "x"\nhashtags = ["x"]\ngap = "soon"\n',
         "tagtrail.toml: chats[0].gap: 'soon' is not a duration"),
        ('[[chats]]\nname = "x"\nhashtags = ["x"]\ncolour = "red"\n', "tagtrail.toml: chats[0].colour: unknown setting"),
        ('[[chats]]\nname = "x"\nhashtags = ["x"]\n[[chats]]\nname = "X"\nhashtags = ["y"]\n',
         "tagtrail.toml: chats: chat name 'x' is used twice"),
    ],
)
def test_errors_name_the_file_and_field(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_config(write(tmp_path, text))
    assert str(e.value).removeprefix(f"{tmp_path}/").startswith(message)
    assert "\n" not in str(e.value)


def test_a_missing_file_is_an_empty_configuration_unless_required(tmp_path: Path) -> None:
    assert load_config(tmp_path / "none.toml").chats == []
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "none.toml", required=True)


def test_secrets_do_not_show_in_the_configs_repr(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, 'pseudonym_key = "s3cret-key"\n[mastodon_tokens]\n"a.social" = "tok-123"\n'))
    assert "s3cret" not in repr(cfg) and "tok-123" not in repr(cfg)
