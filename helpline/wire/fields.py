"""Field rules shared by every frame (docs/protocol.md §2).

Each ``check_*`` function takes an untrusted value, returns it typed when it
follows the rule and raises :class:`FrameError` (code ``bad_field``)
otherwise. Messages name the frame and the field, never the offending value:
they end up in error frames and logs, and a peer must not be able to make the
server echo arbitrary text.
"""

from __future__ import annotations

import math
from typing import Final, TypeGuard

from helpline.errors import ProtocolError

#: The only protocol version (§2: every frame carries ``"v": 1``).
VERSION: Final = 1
#: Sequence numbers are integers from 1 to 2^53 − 1 (§2), safe in JavaScript.
MAX_SEQ: Final = 2**53 - 1
#: Lengths of base64url ids without padding: 16 bytes (chat ids, HLP1) and 32 bytes (tokens).
CHAT_ID_CHARS: Final = 22
TOKEN_CHARS: Final = 43
MAX_LANGUAGES: Final = 32
MAX_CAPACITY: Final = 100
MAX_OUTCOME_CHARS: Final = 64
#: Staff usernames (``transfer.to``): as the accounts table allows.
MAX_ACCOUNT_NAME_CHARS: Final = 64
#: Bounds for text the server sends (client side; the server writes these itself).
MAX_USERNAME_CHARS: Final = 256
MAX_MESSAGE_CHARS: Final = 4096
MAX_CODE_CHARS: Final = 64
MAX_CHATS: Final = 1024

B64U_ALPHABET: Final = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_LANGUAGE_ALPHABET: Final = b"abcdefghijklmnopqrstuvwxyz0123456789-"
_CODE_ALPHABET: Final = b"abcdefghijklmnopqrstuvwxyz_"
# A canonical encoding leaves the unused low bits of the last character at zero:
# 16 bytes use 2 bits of the 22nd character, 32 bytes use 4 bits of the 43rd.
_CHAT_ID_LAST: Final = frozenset("AQgw")
_TOKEN_LAST: Final = frozenset("AEIMQUYcgkosw048")

STATUSES: Final = frozenset({"available", "away"})


class FrameError(ProtocolError):
    """A frame was refused while decoding or constructing it.

    ``seq`` is the refused ``relay`` frame's sequence number when it could be
    read (§2.5: the ``error`` frame echoes it), else None.
    """

    code = "bad_field"

    def __init__(self, message: str, *, code: str = "bad_field", seq: int | None = None) -> None:
        super().__init__(message, code=code)
        self.seq = seq


def only_chars(text: str, alphabet: bytes) -> bool:
    """True when every character of ``text`` is one of the ASCII ``alphabet``.

    ``bytes.translate`` with a delete table runs in C over the whole string;
    it is about twice as fast as ``re.fullmatch`` with a character class.
    """
    return text.isascii() and not text.encode("ascii").translate(None, alphabet)


def is_b64u(text: str) -> bool:
    """Base64url alphabet only (no padding, no whitespace); the empty string passes."""
    return text.isascii() and not text.encode("ascii").translate(None, B64U_ALPHABET)


def is_chat_id(value: object) -> TypeGuard[str]:
    return (
        type(value) is str
        and len(value) == CHAT_ID_CHARS
        and value[-1] in _CHAT_ID_LAST
        and is_b64u(value)
    )


def is_token(value: object) -> TypeGuard[str]:
    return (
        type(value) is str
        and len(value) == TOKEN_CHARS
        and value[-1] in _TOKEN_LAST
        and is_b64u(value)
    )


def is_seq(value: object, low: int = 1) -> TypeGuard[int]:
    """A JSON integer (never a bool or a float) in ``low``..2^53 − 1."""
    return type(value) is int and low <= value <= MAX_SEQ


def is_language(value: object) -> TypeGuard[str]:
    return type(value) is str and 2 <= len(value) <= 16 and only_chars(value, _LANGUAGE_ALPHABET)


def bad(frame: str, name: str, rule: str) -> FrameError:
    return FrameError(f"{frame}: {name!r} {rule}")


def check_chat_id(frame: str, name: str, value: object) -> str:
    if not is_chat_id(value):
        raise bad(frame, name, "must be a chat id (22 characters of base64url)")
    return value


def check_opt_chat_id(frame: str, name: str, value: object) -> str | None:
    return None if value is None else check_chat_id(frame, name, value)


def check_token(frame: str, name: str, value: object) -> str:
    if not is_token(value):
        raise bad(frame, name, "must be a token (43 characters of base64url)")
    return value


def check_seq(frame: str, name: str, value: object, low: int = 1) -> int:
    if not is_seq(value, low):
        raise bad(frame, name, f"must be an integer from {low} to 2^53-1")
    return value


def check_payload(frame: str, value: object) -> str:
    """Non-empty base64url text. The size limit is the decoder's job (it is configured)."""
    if type(value) is not str or not value or not is_b64u(value):
        raise bad(frame, "payload", "must be non-empty base64url text")
    return value


def check_language(frame: str, name: str, value: object) -> str:
    if not is_language(value):
        raise bad(frame, name, "must be a language code (2-16 characters a-z 0-9 -)")
    return value


def check_opt_language(frame: str, name: str, value: object) -> str | None:
    return None if value is None else check_language(frame, name, value)


def check_languages(frame: str, name: str, value: object) -> tuple[str, ...]:
    """A list (or tuple) of at most 32 distinct language codes; it may be empty."""
    if type(value) is not list and type(value) is not tuple:
        raise bad(frame, name, "must be a list of language codes")
    assert isinstance(value, list | tuple)
    if len(value) > MAX_LANGUAGES:
        raise bad(frame, name, f"must have at most {MAX_LANGUAGES} entries")
    for code in value:
        check_language(frame, name, code)
    if len(set(value)) != len(value):
        raise bad(frame, name, "must not repeat a language")
    return tuple(value)


def check_capacity(frame: str, name: str, value: object) -> int:
    if type(value) is not int or not 1 <= value <= MAX_CAPACITY:
        raise bad(frame, name, f"must be an integer from 1 to {MAX_CAPACITY}")
    return value


def check_status(frame: str, value: object) -> str:
    if type(value) is not str or value not in STATUSES:
        raise bad(frame, "status", "must be 'available' or 'away'")
    return value


def check_choice(frame: str, name: str, value: object, choices: frozenset[str]) -> str:
    if type(value) is not str or value not in choices:
        raise bad(frame, name, "must be one of " + ", ".join(sorted(choices)))
    return value


def check_text(frame: str, name: str, value: object, max_chars: int) -> str:
    """Non-empty printable text of at most ``max_chars`` characters."""
    if type(value) is not str or not 1 <= len(value) <= max_chars or not value.isprintable():
        raise bad(frame, name, f"must be 1-{max_chars} printable characters")
    return value


def check_message(frame: str, name: str, value: object) -> str:
    """Free text from the server (error messages): any string up to a bound."""
    if type(value) is not str or len(value) > MAX_MESSAGE_CHARS:
        raise bad(frame, name, f"must be a string of at most {MAX_MESSAGE_CHARS} characters")
    return value


def check_code(frame: str, name: str, value: object) -> str:
    if (
        type(value) is not str
        or not 1 <= len(value) <= MAX_CODE_CHARS
        or not only_chars(value, _CODE_ALPHABET)
    ):
        raise bad(frame, name, "must be an error code (a-z and _)")
    return value


def check_count(frame: str, name: str, value: object, low: int = 0) -> int:
    if type(value) is not int or not low <= value <= MAX_SEQ:
        raise bad(frame, name, f"must be an integer from {low} to 2^53-1")
    return value


def check_opt_count(frame: str, name: str, value: object) -> int | None:
    return None if value is None else check_count(frame, name, value)


def check_seconds(frame: str, name: str, value: object) -> float:
    """A finite number of seconds, at least 0 (an int stays an int)."""
    if type(value) is int:
        if 0 <= value <= MAX_SEQ:
            return value
    elif type(value) is float and math.isfinite(value) and value >= 0:
        return value
    raise bad(frame, name, "must be a finite number of seconds, at least 0")


def check_bool(frame: str, name: str, value: object) -> bool:
    if type(value) is not bool:
        raise bad(frame, name, "must be true or false")
    return value
