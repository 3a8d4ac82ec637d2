"""helpline.logging: no client address ever reaches the log (docs/privacy.md)."""

from __future__ import annotations

import io
import ipaddress
import logging
from collections.abc import Iterator

import pytest

from helpline.errors import ConfigError
from helpline.logging import LIBRARY_FLOORS, REDACTED, Redactor, configure_logging, redact


def record(msg: object, *args: object, exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    return logging.LogRecord("test", logging.INFO, __file__, 1, msg, args or None, exc_info)


def rendered(rec: logging.LogRecord) -> str:
    assert Redactor().filter(rec) is True
    return logging.Formatter("%(message)s").format(rec)


@pytest.mark.parametrize(
    "address",
    [
        "1.2.3.4",
        "192.168.100.200",
        "255.255.255.255",
        "0.0.0.0",
        "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
        "2001:db8:85a3::8a2e:370:7334",
        "2001:db8::1",
        "fe80::1",
        "fe80::1%eth0",
        "::1",
        "::",
        "::ffff:1.2.3.4",
        "::ffff:c000:280",
        "64:ff9b::192.0.2.33",
        "FE80::ABCD",
    ],
)
def test_addresses_are_redacted_wherever_they_stand(address: str) -> None:
    for text in (
        address,
        f"from {address}",
        f"peer={address}, then",
        f"({address!r}, 443)",
        f"{address}.",
    ):
        redacted = redact(text)
        assert REDACTED in redacted
        assert address not in redacted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("client 10.0.0.7:51234 closed", "client <ip>:51234 closed"),
        ("[2001:db8::7]:443", "[<ip>]:443"),
        ("::ffff:1.2.3.4 joined", "<ip> joined"),
        ("a 1.2.3.4 and b 2001:db8::2", "a <ip> and b <ip>"),
    ],
)
def test_redaction_keeps_the_rest_of_the_line(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "chat ended at 12:34:56",
        "took 10:20:30.123",
        "mac aa:bb:cc:dd:ee:ff",
        "version 3.11.7",
        "oid 1.2.3.4.5.6",
        "std::vector",
        "waited 45 s in queue en",
    ],
)
def test_things_that_are_not_addresses_stay(text: str) -> None:
    assert redact(text) == text


def test_message_is_redacted() -> None:
    assert rendered(record("connection from 203.0.113.9 dropped")) == "connection from <ip> dropped"


def test_string_args_are_redacted() -> None:
    rec = record("peer %s via %s", "203.0.113.9", "2001:db8::9")
    assert rendered(rec) == "peer <ip> via <ip>"


def test_args_of_any_type_are_redacted() -> None:
    rec = record(
        "peername %s, address %s, %d frames",
        ("198.51.100.2", 4433),
        ipaddress.ip_address("::ffff:1.2.3.4"),
        3,
    )
    assert rendered(rec) == "peername ('<ip>', 4433), address <ip>, 3 frames"


def test_mapping_args_are_redacted() -> None:
    rec = record("peer %(peer)s", {"peer": "198.51.100.2"})
    assert rendered(rec) == "peer <ip>"


def test_non_string_message_is_redacted() -> None:
    assert rendered(record(OSError("connect to 198.51.100.2 failed"))) == "connect to <ip> failed"


def test_traceback_is_redacted() -> None:
    try:
        raise ConnectionResetError("reset by peer ('2001:db8::5', 443, 0, 0)")
    except ConnectionResetError as exc:
        rec = record("handler failed", exc=exc)
    text = rendered(rec)
    assert "2001:db8::5" not in text
    assert "reset by peer ('<ip>', 443, 0, 0)" in text


def test_broken_format_still_redacts_what_it_prints() -> None:
    rec = record("from %s and %s", "198.51.100.2")
    assert Redactor().filter(rec) is True
    assert rec.args == ("<ip>",)


def test_percent_signs_survive_redaction() -> None:
    assert (
        rendered(record("%s at 100%% from %s", "queue", "198.51.100.2"))
        == "queue at 100% from <ip>"
    )


@pytest.fixture
def clean_logging() -> Iterator[None]:
    """Restores the root logger and aiohttp.access after configure_logging()."""
    root = logging.getLogger()
    access = logging.getLogger("aiohttp.access")
    saved = (root.level, root.handlers[:], access.level, access.handlers[:], access.propagate)
    library_levels = {name: logging.getLogger(name).level for name in LIBRARY_FLOORS}
    yield
    for name, level in library_levels.items():
        logging.getLogger(name).setLevel(level)
    for handler in root.handlers:
        if handler not in saved[1]:
            handler.close()
    root.setLevel(saved[0])
    root.handlers[:] = saved[1]
    access.setLevel(saved[2])
    access.handlers[:] = saved[3]
    access.propagate = saved[4]


@pytest.mark.usefixtures("clean_logging")
def test_configure_logging_writes_plain_redacted_lines() -> None:
    stream = io.StringIO()
    configure_logging("info", stream=stream)
    logging.getLogger("helpline.web").info("seeker from %s joined", "203.0.113.50")
    logging.getLogger("helpline.web").debug("not at info level")
    line = stream.getvalue()
    assert line.endswith(" INFO helpline.web: seeker from <ip> joined\n")
    assert line.count("\n") == 1


@pytest.mark.usefixtures("clean_logging")
def test_configure_logging_silences_aiohttp_access() -> None:
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    access = logging.getLogger("aiohttp.access")
    # aiohttp's AccessLogger checks this before it even formats a line.
    assert not access.isEnabledFor(logging.CRITICAL)
    access.critical('203.0.113.50 [01/Jan/2030:00:00:00 +0000] "GET /ws/seeker" 101 "Firefox"')
    access.handle(
        access.makeRecord("aiohttp.access", logging.INFO, __file__, 1, "forced", None, None)
    )
    assert stream.getvalue() == ""


@pytest.mark.usefixtures("clean_logging")
def test_libraries_do_not_log_their_data_at_debug() -> None:
    """aiosqlite logged a mistyped username (SQL parameters) at DEBUG."""
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    logging.getLogger("aiosqlite").debug("executing %r", ("secret-username",))
    logging.getLogger("sqlalchemy.engine.Engine").info("[generated] ('secret-username',)")
    logging.getLogger("websockets.client").debug("< TEXT 'secret payload'")
    logging.getLogger("asyncio").debug("got a new connection from %r", ("192.0.2.1", 50123))
    logging.getLogger("aiosqlite").warning("still warns")
    logging.getLogger("helpline.web").debug("own debug record")
    assert "secret" not in stream.getvalue()
    assert "50123" not in stream.getvalue()
    assert "still warns" in stream.getvalue()
    assert "own debug record" in stream.getvalue()


@pytest.mark.usefixtures("clean_logging")
def test_configure_logging_twice_keeps_one_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", stream=first)
    configure_logging("WARNING", stream=second)
    logging.getLogger("helpline").warning("once")
    assert first.getvalue() == ""
    assert second.getvalue().count("once") == 1
    assert logging.getLogger().level == logging.WARNING


def test_unknown_level_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="log level"):
        configure_logging("LOUD")
