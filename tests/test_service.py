"""The service file (helpline.service): parsed into frozen settings, or a ConfigError
that names the field."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from helpline.config import Config
from helpline.core.hours import Period
from helpline.errors import ConfigError
from helpline.service import (
    DEFAULT_QUICK_EXIT_URL,
    ENDONYMS,
    Resource,
    default_service,
    load_service,
    parse_service,
)

LANGS = ("en", "de", "nl")

EXAMPLE: dict[str, Any] = {
    "time_zone": "Europe/Amsterdam",
    "quick_exit_url": "https://www.bbc.com/weather",
    "transcripts": False,
    "feedback": True,
    "embed_origins": ["https://helpline.example", "http://localhost:8000"],
    "queues": {
        "en": {
            "name": "English",
            "hours": {
                "mon": [["09:00", "17:00"]],
                "tue": [["09:00", "12:00"], ["13:00", "24:00"]],
            },
            "holidays": ["2026-12-25"],
            "closed": False,
            "closed_message": "We are closed for the holidays.",
            "resources": [
                {
                    "title": "Stop It Now",
                    "text": "Call us",
                    "url": "https://example.org/help",
                    "phone": None,
                },
                {"title": "Samaritans", "text": "", "phone": "116 123"},
            ],
        },
        "de": {"closed": True},
    },
}


def test_the_example_is_read_into_frozen_settings() -> None:
    service = parse_service(EXAMPLE, LANGS)
    assert service.time_zone_name == "Europe/Amsterdam"
    assert service.embed_origins == ("https://helpline.example", "http://localhost:8000")
    assert list(service.queues) == ["en", "de", "nl"]  # HELPLINE_LANGUAGES' order
    en = service.queue("en")
    assert en.name == "English"
    assert en.hours.weekly is not None
    assert en.hours.weekly[0] == (Period(540, 1020),)
    assert en.hours.weekly[1] == (Period(540, 720), Period(780, 1440))
    assert en.hours.weekly[2] == ()
    assert en.hours.holidays == frozenset({date(2026, 12, 25)})
    assert en.resources == (
        Resource("Stop It Now", "Call us", "https://example.org/help", None),
        Resource("Samaritans", "", None, "116 123"),
    )
    assert service.queue("de").closed
    assert service.queue("nl").hours.weekly is None  # not in the file: always open
    with pytest.raises(dataclasses.FrozenInstanceError):
        service.feedback = False  # type: ignore[misc]


def test_names_fall_back_to_endonyms_then_none() -> None:
    service = parse_service({"queues": {"en": {"name": "Our English line"}}}, ("en", "fi", "xx"))
    assert service.name("en") == "Our English line"
    assert service.name("fi") == "Suomi"
    assert service.name("xx") is None
    required = "en de nl fi sv es fr pl ar it pt cs sk hu ro bg hr sl el da no nb et lv lt tr ru uk"
    for code in required.split():
        assert ENDONYMS[code], code


def test_without_a_file_every_queue_is_open_with_the_defaults(tmp_path: Path) -> None:
    service = load_service(None, LANGS)
    assert service == default_service(LANGS)
    assert service.quick_exit_url == DEFAULT_QUICK_EXIT_URL
    assert service.feedback is True
    assert service.transcripts is False
    assert service.embed_origins == ()
    assert service.time_zone_name == "UTC"
    assert all(q.hours.weekly is None and not q.closed for q in service.queues.values())


def test_the_file_is_found_in_the_data_dir_or_where_configured(tmp_path: Path) -> None:
    config = Config(data_dir=tmp_path)
    assert config.effective_service_file is None
    (tmp_path / "service.json").write_text(json.dumps(EXAMPLE))
    assert config.effective_service_file == tmp_path / "service.json"
    elsewhere = tmp_path / "other.json"
    env = {"HELPLINE_SERVICE_FILE": str(elsewhere), "HELPLINE_DATA_DIR": str(tmp_path)}
    assert Config.from_env(env).effective_service_file == elsewhere
    service = load_service(config.effective_service_file, ("en", "de"))
    assert service.queue("en").name == "English"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{", "not UTF-8 JSON"),
        (b"\xff", "not UTF-8 JSON"),
        (b"[]", "must be a JSON object"),
    ],
)
def test_unreadable_files_are_config_errors(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "service.json"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as err:
        load_service(path, LANGS)
    assert str(path) in str(err.value)
    with pytest.raises(ConfigError, match="cannot read"):
        load_service(tmp_path / "missing.json", LANGS)


def bad(**changes: Any) -> dict[str, Any]:
    return {**EXAMPLE, **changes}


def queue(**fields: Any) -> dict[str, Any]:
    return {"queues": {"en": fields}}


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        (bad(time_zone="Mars/Olympus"), "time_zone"),
        (bad(time_zone="../../etc/passwd"), "time_zone"),
        (bad(time_zone="localtime"), "time_zone"),  # the host's zone, not a place
        (bad(time_zone="Factory"), "time_zone"),
        (bad(time_zone=1), "time_zone"),
        (bad(quick_exit_url="javascript:alert(1)"), "quick_exit_url"),
        (bad(quick_exit_url="ftp://example.org"), "quick_exit_url"),
        (bad(quick_exit_url="https://"), "quick_exit_url"),
        (bad(quick_exit_url='https://a.example/"><script>'), "quick_exit_url"),
        (bad(transcripts="no"), "transcripts"),
        (bad(feedback=1), "feedback"),
        (bad(embed_origins="https://a.example"), "embed_origins"),
        (bad(embed_origins=["https://a.example/"]), "embed_origins[0]"),
        (bad(embed_origins=["https://ok.example", "https://a.example/path"]), "embed_origins[1]"),
        (bad(embed_origins=["ftp://a.example"]), "embed_origins[0]"),
        (bad(embed_origins=["https://a.example; script-src *"]), "embed_origins[0]"),
        (bad(embed_origins=["https://user@a.example"]), "embed_origins[0]"),
        (bad(embed_origins=["https://a.example:99999"]), "embed_origins[0]"),
        (bad(embed_origins=["*"]), "embed_origins[0]"),
        (bad(colour="red"), "colour"),
        ({"queues": {"XX": {}}}, "queues.XX"),
        ({"queues": []}, "queues"),
        (queue(nmae="typo"), "queues.en.nmae"),
        (queue(name=""), "queues.en.name"),
        (queue(name="x" * 65), "queues.en.name"),
        (queue(closed="yes"), "queues.en.closed"),
        (queue(closed_message=3), "queues.en.closed_message"),
        (queue(hours={"monday": []}), "queues.en.hours.monday"),
        (queue(hours={"mon": [["9:00", "17:00"]]}), "queues.en.hours.mon[0][0]"),
        (queue(hours={"mon": [["09:00", "24:01"]]}), "queues.en.hours.mon[0][1]"),
        (queue(hours={"mon": [["09:00", "25:00"]]}), "queues.en.hours.mon[0][1]"),
        (queue(hours={"mon": [["17:00", "09:00"]]}), "queues.en.hours.mon[0]"),
        (queue(hours={"mon": [["22:00", "02:00"]]}), "queues.en.hours.mon[0]"),
        (queue(hours={"mon": [["09:00"]]}), "queues.en.hours.mon[0]"),
        (queue(hours={"mon": [["09:00", "12:00"], ["11:00", "17:00"]]}), "queues.en.hours.mon[1]"),
        (queue(hours={"mon": "09:00-17:00"}), "queues.en.hours.mon"),
        (queue(hours={"mon": [["09:00", "10:00"]] * 25}), "queues.en.hours.mon"),
        (queue(holidays=["2026-02-30"]), "queues.en.holidays[0]"),
        (queue(holidays=["25.12.2026"]), "queues.en.holidays[0]"),
        (queue(holidays="2026-12-25"), "queues.en.holidays"),
        (queue(resources=[{"text": "no title"}]), "queues.en.resources[0].title"),
        (
            queue(resources=[{"title": "t", "url": "data:text/html,x"}]),
            "queues.en.resources[0].url",
        ),
        (queue(resources=[{"title": "t", "phone": 116}]), "queues.en.resources[0].phone"),
        (queue(resources=[{"title": "t", "email": "a@b"}]), "queues.en.resources[0].email"),
        (queue(resources=[{"title": "t"}] * 51), "queues.en.resources"),
    ],
)
def test_bad_settings_are_config_errors_naming_the_field(obj: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_service(obj, LANGS)
    assert str(err.value).startswith(f"{field}:"), str(err.value)


def test_a_queue_not_in_the_languages_names_the_configured_ones() -> None:
    with pytest.raises(ConfigError, match="HELPLINE_LANGUAGES is en,de,nl"):
        parse_service({"queues": {"SV": {}}}, LANGS)


def test_a_file_may_add_queues_after_the_configured_ones() -> None:
    """What `helpline service show` prints, queues added by supervisors included, is a
    service file the server starts with."""
    service = parse_service({"queues": {"pt-br": {"name": "Português"}, "de": {}}}, LANGS)
    assert list(service.queues) == [*LANGS, "pt-br"]
    assert service.name("pt-br") == "Português"


def test_null_hours_mean_always_open_and_empty_hours_always_closed() -> None:
    service = parse_service({"queues": {"en": {"hours": None}, "de": {"hours": {}}}}, LANGS)
    assert service.queue("en").hours.weekly is None
    assert service.queue("de").hours.weekly == ((),) * 7


@pytest.mark.parametrize(
    ("queue", "field"),
    [
        ({"name": "a\x07b"}, "queues.en.name"),
        ({"name": "two\nlines"}, "queues.en.name"),
        ({"name": "\u202eTest"}, "queues.en.name"),  # a right-to-left override
        ({"name": "\ud800"}, "queues.en.name"),  # a lone surrogate, which JSON allows
        ({"closed_message": "nul\x00"}, "queues.en.closed_message"),
        ({"resources": [{"title": "zero\u200bwidth"}]}, "queues.en.resources[0].title"),
    ],
)
def test_text_a_seeker_sees_has_no_hidden_characters(queue: dict[str, Any], field: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_service({"queues": {"en": queue}}, LANGS)
    assert str(err.value).startswith(f"{field}:"), str(err.value)


def test_joiners_line_breaks_and_right_to_left_text_are_fine() -> None:
    queue = {
        "name": "فارسی\u200cها",  # Persian needs the zero-width non-joiner
        "closed_message": "Closed.\nIn an emergency call 112.\tThank you.",
        "resources": [{"title": "עזרה", "text": "line one\nline two"}],
    }
    service = parse_service({"queues": {"en": queue}}, LANGS)
    assert service.queues["en"].name == "فارسی\u200cها"
