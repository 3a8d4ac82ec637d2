"""JSON as HLP1 reads it: parsed, then compared by value, never by bytes.

Rules (HLP1 "Handshake" and "Data frames": *JSON is compared by value (exact key
set, integers, canonical base64url), never by bytes*), with the safest readings:

- The text must be UTF-8 and one JSON object. ``NaN``/``Infinity`` are refused.
- A duplicate key makes the value ambiguous: refused.
- A string containing a lone surrogate (possible through ``\\ud800`` escapes) is not
  Unicode text: refused.
- The key set must be exactly the expected one.
- An integer field is a JSON number whose value is a whole number in range: ``1``,
  ``1.0`` and ``1e0`` are the same value (JavaScript cannot tell them apart), while
  ``true``/``false`` are booleans, never integers.
- A bytes field is canonical base64url (:func:`crypto.encoding.b64u_decode`), with
  the exact decoded length where the protocol fixes one; a failure there is
  ``bad_encoding`` whatever the message.

Failures raise :class:`CryptoError` with the code chosen by the caller
(``bad_message`` for handshake messages, ``bad_plaintext`` inside frames). Their
messages never contain anything from the input (no text, keys or values: it is often
a decrypted plaintext) and no decoder exception is chained to them.

Serialisation for sending is ``json.dumps(..., separators=(",", ":"),
ensure_ascii=False)`` with keys in the order the design lists them; that is what
the test vectors contain, but receivers never depend on it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from crypto.encoding import b64u_decode
from crypto.errors import CryptoError


class _Invalid(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _Invalid("duplicate key")
        obj[key] = value
    return obj


def _constant(name: str) -> Any:
    raise _Invalid("NaN or Infinity is not JSON")


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _Invalid("lone surrogate in a string") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def parse_object(data: bytes, code: str) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be one object (module rules).

    The data is often a decrypted plaintext, so a failure says nothing about it: the
    message is generic and the error is raised outside the ``except`` block, so that
    neither ``__cause__`` nor ``__context__`` keeps the decoder's exception (whose
    ``doc``/``object`` is the whole text).
    """
    value: Any = None
    valid = True
    try:
        text = data.decode("utf-8")
        value = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
        _check_strings(value)
    except (UnicodeDecodeError, ValueError, RecursionError):
        valid = False
    if not valid:
        raise CryptoError(code, "not valid JSON") from None
    if not isinstance(value, dict):
        raise CryptoError(code, "not a JSON object")
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    """Compact UTF-8 JSON, keys in insertion order; ``bad_text`` for a lone surrogate."""
    try:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        pass  # raised below, so that the error does not keep the text as its context
    raise CryptoError("bad_text", "text is not valid Unicode (lone surrogate)") from None


def require_keys(obj: dict[str, Any], keys: set[str], code: str) -> None:
    if set(obj) != keys:
        raise CryptoError(code, f"expected keys {sorted(keys)}")  # never the keys received


def get_int(obj: dict[str, Any], key: str, code: str, lo: int, hi: int) -> int:
    """An integer by value (``1.0`` is 1; ``true`` is not) with ``lo ≤ value ≤ hi``."""
    value = obj[key]
    if isinstance(value, bool):
        raise CryptoError(code, f"{key} must be an integer")
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise CryptoError(code, f"{key} must be an integer")
        value = int(value)
    if not isinstance(value, int) or not lo <= value <= hi:
        raise CryptoError(code, f"{key} must be an integer from {lo} to {hi}")
    return value


def get_optional_int(obj: dict[str, Any], key: str, code: str, lo: int, hi: int) -> int | None:
    return None if obj[key] is None else get_int(obj, key, code, lo, hi)


def get_str(obj: dict[str, Any], key: str, code: str) -> str:
    value = obj[key]
    if not isinstance(value, str):
        raise CryptoError(code, f"{key} must be a string")
    return value


def get_bool(obj: dict[str, Any], key: str, code: str) -> bool:
    value = obj[key]
    if not isinstance(value, bool):
        raise CryptoError(code, f"{key} must be true or false")
    return value


def get_b64u(
    obj: dict[str, Any], key: str, code: str, length: int | None = None, max_length: int = 4096
) -> bytes:
    value = obj[key]
    if not isinstance(value, str) or len(value) > max_length * 2:
        raise CryptoError(code, f"{key} must be base64url")
    raw = b64u_decode(value, length)  # bad_encoding, whatever the caller's code
    if len(raw) > max_length:
        raise CryptoError(code, f"{key} is too long")
    return raw
