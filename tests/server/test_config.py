"""Config: validated at start, errors that name the key and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from moderation.crisis import mentions_crisis
from moderation.textnorm import fold
from server.config.demo import demo_settings
from server.config.loader import load_settings, settings_from_mapping
from server.config.reader import ConfigError
from server.config.rooms import parse_duration, parse_weekly
from server.config.settings import WeeklyTime
from server.models.passphrase import hash_passphrase, verify_passphrase
from tests.helpers import base_config

GOOD = """\
secret_key = "a-long-enough-secret-key"

[[facilitators]]
name = "Sam"
passphrase_hash = "{hash}"

[[rooms]]
id = "open-circle"
title = "Open Circle"
kind = "drop-in"

[[rooms]]
id = "tuesday-night"
title = "Tuesday Night Recovery"
kind = "meeting"
timezone = "America/Chicago"
weekly = ["tue 19:00", "thu 19:00"]
duration = "90m"
doors_open = "15m"
format = "share-round"
hosts = ["Sam"]

[formats.share-round]
share_minutes = 3
hold_chat_during_share = true
phases = [
  {{ name = "opening", chat = true, pin = "Welcome." }},
  {{ name = "shares", chat = false }},
]

[limits]
message_burst = 5
message_interval_s = 2.0

[moderation]
blocked_terms = [{{ term = "example", action = "hold" }}]
crisis_phrases = {{ en = ["extra phrase"], es = ["otra frase"] }}   # DESIGN §6's form

[[resources]]
name = "988 Suicide & Crisis Lifeline"
contact = "Call or text 988"
url = "https://988lifeline.org"
hours = "24/7"
crisis = true
"""


@pytest.fixture(scope="module")
def good_text() -> str:
    return GOOD.format(hash=hash_passphrase("a passphrase"))


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "peer-rooms.toml"
    path.write_text(text)
    return path


def test_the_documented_example_loads(tmp_path: Path, good_text: str) -> None:
    settings = load_settings(write(tmp_path, good_text), env={})
    meeting = settings.room("tuesday-night")
    assert meeting is not None and meeting.kind == "meeting"
    assert meeting.weekly == (WeeklyTime(1, 19, 0), WeeklyTime(3, 19, 0))
    assert meeting.duration_s == 5400 and meeting.doors_open_s == 900
    assert meeting.hosts == ("Sam",)
    assert [p.name for p in settings.formats["share-round"].phases] == ["opening", "shares"]
    assert settings.limits.message_burst == 5
    assert settings.blocked_terms[0].action == "hold"
    assert settings.crisis_phrases == ("extra phrase", "otra frase")
    assert settings.resources[0].crisis


def test_env_overrides(tmp_path: Path, good_text: str) -> None:
    settings = load_settings(write(tmp_path, good_text), env={
        "SECRET_KEY": "from-the-environment-0123", "PORT": "9001", "HOST": "0.0.0.0",
        "REDIS_URL": "redis://localhost:1/0"})
    assert settings.secret_key == "from-the-environment-0123"
    assert (settings.port, settings.host, settings.redis_url) == (9001, "0.0.0.0",
                                                                  "redis://localhost:1/0")


@pytest.mark.parametrize(("broken", "key", "line"), [
    (('kind = "drop-in"', 'kind = "party"'), "rooms[0].kind", 10),
    (('timezone = "America/Chicago"', 'timezone = "Mars/Olympus"'), "rooms[1].timezone", 16),
    (('weekly = ["tue 19:00", "thu 19:00"]', 'weekly = ["someday"]'), "rooms[1].weekly[0]", 17),
    (('duration = "90m"', 'duration = "long"'), "rooms[1].duration", 18),
    (('hosts = ["Sam"]', 'hosts = ["Nobody"]'), "rooms[1].hosts[0]", 21),
    (('format = "share-round"', 'format = "missing"'), "rooms[1].format", 20),
    (('message_burst = 5', 'message_burst = "five"'), "limits.message_burst", 32),
    (('id = "open-circle"', 'id = "Open Circle!"'), "rooms[0].id", 8),
    (('secret_key = "a-long-enough-secret-key"', 'secret_key = "short"'), "secret_key", 1),
    (('action = "hold"', 'action = "explode"'), "moderation.blocked_terms[0].action", 36),
])
def test_errors_name_the_key_and_line(tmp_path: Path, good_text: str,
                                      broken: tuple[str, str], key: str, line: int) -> None:
    assert broken[0] in good_text
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, good_text.replace(broken[0], broken[1], 1)), env={})
    assert caught.value.key == key
    assert caught.value.line == line
    assert key in str(caught.value) and f"line {line}" in str(caught.value)


def test_bad_passphrase_hash_and_unknown_keys(tmp_path: Path, good_text: str) -> None:
    with pytest.raises(ConfigError, match=r"facilitators\[0\].passphrase_hash"):
        load_settings(write(tmp_path, good_text.replace("scrypt$", "md5$", 1)), env={})
    with pytest.raises(ConfigError, match=r"rooms\[0\].colour"):
        load_settings(write(tmp_path, good_text.replace('kind = "drop-in"',
                                                        'kind = "drop-in"\ncolour = "red"')),
                      env={})
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(write(tmp_path, "this is = = not toml"), env={})
    with pytest.raises(ConfigError, match="secret_key"):
        load_settings(write(tmp_path, good_text.replace(
            'secret_key = "a-long-enough-secret-key"\n', "")), env={})


def test_durations_and_weekly_times() -> None:
    assert parse_duration("90m") == 5400
    assert parse_duration("1h30m") == 5400
    assert parse_duration("45s") == 45
    assert parse_duration("") is None and parse_duration("soon") is None
    assert parse_weekly("Tuesday 7:05") == WeeklyTime(1, 7, 5)
    assert parse_weekly("sun 23:59") == WeeklyTime(6, 23, 59)
    assert parse_weekly("tue 24:00") is None and parse_weekly("xyz 10:00") is None


def test_demo_has_a_drop_in_an_open_meeting_and_a_one_time_passphrase() -> None:
    settings, passphrase = demo_settings({})
    kinds = {room.kind: room for room in settings.rooms}
    assert set(kinds) == {"drop-in", "meeting"}
    assert kinds["meeting"].open_at_start and settings.demo
    assert verify_passphrase(passphrase, settings.facilitators[0].passphrase_hash)
    again, other = demo_settings({})
    assert other != passphrase and again.secret_key != settings.secret_key


def test_passphrase_hash_round_trip() -> None:
    stored = hash_passphrase("tea and biscuits")
    assert stored.startswith("scrypt$")
    assert verify_passphrase("tea and biscuits", stored)
    assert not verify_passphrase("tea and biscuit", stored)
    assert not verify_passphrase("x", "garbage")


def test_live_state_bounds_are_configured_and_checked() -> None:
    settings = settings_from_mapping(base_config(limits={"idempotency_keys": 50,
                                                         "live_entries": 5000}))
    assert (settings.limits.idempotency_keys, settings.limits.live_entries) == (50, 5000)
    assert settings_from_mapping(base_config()).limits.idempotency_keys == 1000
    for key, value in (("idempotency_keys", 0), ("live_entries", 10), ("idempotency_keys", "x")):
        with pytest.raises(ConfigError, match=rf"limits\.{key}"):
            settings_from_mapping(base_config(limits={key: value}))


FEED_KEYS = """
[feeds]
formatted_address = "Chicago, IL, USA"
timezone = "America/Chicago"
since = "2026-02-01"
"""
ROOM_FEED_KEYS = ('hosts = ["Sam"]', 'hosts = ["Sam"]\ndescription = "Open discussion."\n'
                  'types = ["O", "D", "O"]\nformatted_address = "Austin, TX, USA"\n'
                  'since = "2026-03-03"')


def test_feed_keys_load(tmp_path: Path, good_text: str) -> None:
    text = good_text.replace(*ROOM_FEED_KEYS) + FEED_KEYS
    path = write(tmp_path, text)
    settings = load_settings(path, env={})
    room = settings.rooms[1]
    assert (room.description, room.types, room.formatted_address, room.since) == (
        "Open discussion.", ("O", "D"), "Austin, TX, USA", "2026-03-03")
    assert (settings.feeds.formatted_address, settings.feeds.timezone,
            settings.feeds.since) == ("Chicago, IL, USA", "America/Chicago", "2026-02-01")
    assert settings.config_mtime == path.stat().st_mtime
    # The older top-level spelling still works.
    legacy = load_settings(write(tmp_path, 'meeting_guide_location = "Chicago, IL, USA"\n'
                                 + good_text), env={})
    assert legacy.feeds.formatted_address == "Chicago, IL, USA"


@pytest.mark.parametrize(("good", "bad", "key"), [
    ('types = ["O", "D", "O"]', 'types = ["O", "ONL"]', "rooms[1].types[1]"),
    ('types = ["O", "D", "O"]', 'types = ["O", "BV-I"]', "rooms[1].types[1]"),  # proposed
    ('types = ["O", "D", "O"]', 'types = ["X"]', "rooms[1].types[0]"),  # a building's
    ('types = ["O", "D", "O"]', 'types = "O"', "rooms[1].types"),
    ('since = "2026-03-03"', 'since = "3 March"', "rooms[1].since"),
    ('formatted_address = "Austin, TX, USA"', 'formatted_address = ""',
     "rooms[1].formatted_address"),
    ('description = "Open discussion."', f'description = "{"x" * 2001}"',
     "rooms[1].description"),
])
def test_feed_key_errors_name_the_key(tmp_path: Path, good_text: str, good: str, bad: str,
                                      key: str) -> None:
    text = good_text.replace(*ROOM_FEED_KEYS)
    assert good in text
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text.replace(good, bad)), env={})
    assert caught.value.key == key and key in str(caught.value)


@pytest.mark.parametrize(("feeds", "key"), [
    ('[feeds]\ntimezone = "Mars/Olympus"', "feeds.timezone"),
    ('[feeds]\nsince = "20260101"', "feeds.since"),
    ('[feeds]\naddress = "Chicago"', "feeds.address"),
    ('[feeds]\nformatted_address = "a\\nb"', "feeds.formatted_address"),
])
def test_feeds_section_errors_name_the_key(tmp_path: Path, good_text: str, feeds: str,
                                           key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, good_text + "\n" + feeds + "\n"), env={})
    assert caught.value.key == key


def test_old_and_new_address_keys_together_are_an_error(tmp_path: Path, good_text: str) -> None:
    with pytest.raises(ConfigError, match="meeting_guide_location"):
        load_settings(write(tmp_path, 'meeting_guide_location = "Chicago, IL, USA"\n'
                            + good_text + FEED_KEYS), env={})


def test_crisis_phrases_extend_and_errors_name_the_entry() -> None:
    settings = settings_from_mapping(base_config(
        moderation={"crisis_phrases": ["walk into the lake", " me rindo "]}))
    assert settings.crisis_phrases == ("walk into the lake", "me rindo")
    for bad, key in (("not a list", "moderation.crisis_phrases"),
                     ([""], "moderation.crisis_phrases[0]"),
                     (["ok", 7], "moderation.crisis_phrases[1]")):
        with pytest.raises(ConfigError) as caught:
            settings_from_mapping(base_config(moderation={"crisis_phrases": bad}))
        assert caught.value.key == key


def test_crisis_phrases_by_language_apply_to_every_message() -> None:
    settings = settings_from_mapping(base_config(moderation={"crisis_phrases": {
        "en": ["open the blue door"], "es": ["cruzo el puente azul"]}}))
    assert settings.crisis_phrases == ("open the blue door", "cruzo el puente azul")
    # Every language's phrases are read in every message, whatever its language.
    for text in ("tonight I open the blue door", "hoy cruzo el puente azul"):
        assert not mentions_crisis(fold(text))
        assert mentions_crisis(fold(text), settings.crisis_phrases)
    for bad, key in (({"en": "one phrase"}, "moderation.crisis_phrases.en"),
                     ({"English": ["ok"]}, "moderation.crisis_phrases.English"),
                     ({"en": ["ok"], "es": ["bien", ""]}, "moderation.crisis_phrases.es[1]"),
                     (7, "moderation.crisis_phrases")):
        with pytest.raises(ConfigError) as caught:
            settings_from_mapping(base_config(moderation={"crisis_phrases": bad}))
        assert caught.value.key == key
