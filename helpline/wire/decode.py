"""The trust boundary: every frame a peer sends is decoded here, and only here.

Rules, checked in this order, each failure a
:class:`~helpline.wire.fields.FrameError` (a
:class:`~helpline.errors.ProtocolError`) with the code of docs/protocol.md §2.5:

1. ``bad_json``: the text is not JSON, not an object, repeats a key (JSON
   allows it, but which value wins differs between parsers, so we refuse the
   ambiguity), uses ``NaN``/``Infinity``, or nests deeper than the parser's
   recursion limit. Bytes are accepted only as strict UTF-8.
2. ``bad_version``: ``v`` is missing or is not exactly the integer 1
   (``true`` and ``1.0`` are not 1).
3. ``unknown_type``: ``type`` is missing, not a string, or not a type this
   role may send: a seeker sending ``accept`` gets ``unknown_type``.
4. ``payload_too_large``: a ``relay`` whose ``payload`` string is longer than
   ``max_payload_bytes`` characters. The length is checked before anything
   else in the frame, so an oversized payload costs no more than its parsing.
5. ``bad_field`` for a field this type does not have, then ``missing_field``
   for a required field that is absent, then ``bad_field`` for the first field
   (in documented order) that breaks its rule. ``null`` for an optional field is
   the same as leaving it out. The rules (helpline/wire/fields.py): integers are
   JSON integers, never booleans or floats; ``seq`` runs from 1 to 2^53 − 1,
   while the cumulative counters (``ack``/``delivered`` ``seq``,
   ``accepted_seq``) may be 0, which acknowledges nothing and is harmless;
   ``chat_id`` is 16 bytes and ``token`` 32 bytes of canonical base64url without
   padding (22 and 43 characters); ``payload`` is non-empty base64url text;
   language codes are 2 to 16 characters of ``a-z 0-9 -``; a ``languages``
   list holds at most 32 distinct codes; ``capacity`` runs from 1 to 100;
   ``outcome`` is 1 to 64 printable characters.

``transfer`` has two shapes (§2.2): with a ``language`` field it is
:class:`TransferLanguage`, else :class:`TransferTo`, whose envelope follows the
relay's rules (rule 4 included). A field of the other shape is ``bad_field``.

A refused ``relay`` (or ``transfer``) whose ``seq`` could be read carries it in
``FrameError.seq`` so that the ``error`` frame can echo it (§2.5).

Relay and ack frames are the hot path (up to ~100k frames/s through one
server). Most of them are written by our own clients in the canonical layout,
the fields in documented order and no whitespace. :func:`_canonical_relay`
recognises exactly that text with an anchored regex over the short head (the
ids and ``seq``), checks the payload's alphabet in C with ``bytes.translate``
and builds the frame without the JSON parser; an ack is one short regex over
the whole frame. Because the text then is the canonical serialization of
valid fields, the answer is the one the full parse would give. Anything else
(another key order, whitespace, escapes, any error) takes the full parse,
which produces every error. The tests check that both paths agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final, TypeVar

from helpline.wire import fields as f
from helpline.wire.client_frames import (
    SEEKER_FRAMES,
    STAFF_FRAMES,
    SeekerAck,
    SeekerFrame,
    SeekerRelay,
    StaffAck,
    StaffFrame,
    StaffRelay,
    TransferLanguage,
    TransferTo,
)
from helpline.wire.fields import FrameError
from helpline.wire.server_frames import (
    SEEKER_SERVER_FRAMES,
    STAFF_SERVER_FRAMES,
    ClientRole,
    RelayOut,
    SeekerChatEnded,
    SeekerMatched,
    SeekerWelcome,
    ServerFrame,
    StaffChatEnded,
    StaffMatched,
    StaffWelcome,
)

__all__ = [
    "SeekerFast",
    "StaffFast",
    "decode_seeker_fast",
    "decode_seeker_frame",
    "decode_server_frame",
    "decode_staff_fast",
    "decode_staff_frame",
]

#: A relay or ack frame decoded by the fast path: ``(chat_id, seq, payload)``, where
#: ``payload`` is None for an ack. Each field is valid as the frame classes define it.
SeekerFast = tuple[str | None, int, str | None]
StaffFast = tuple[str, int, str | None]


class _DuplicateKeyError(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        raise _DuplicateKeyError
    return obj


def _constant(name: str) -> None:
    raise ValueError(name)  # NaN, Infinity, -Infinity are not JSON


_DECODER: Final = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant)
_scan_once: Final[Callable[[str, int], tuple[Any, int]]] = _DECODER.scan_once  # type: ignore[attr-defined]
#: Sets a field of a relay frame built by the fast path, whose fields are checked already.
_set: Final = object.__setattr__
_R = TypeVar("_R", SeekerRelay, StaffRelay, TransferTo)

_RELAY_KEYS: Final = frozenset({"v", "type", "seq", "payload", "chat_id"})
#: The shortcut of :func:`_canonical_relay`; tests turn it off to compare both paths.
_use_fast = True

_SEQ_RE = r"([1-9][0-9]{0,15})"
_COUNT_RE = r"(0|[1-9][0-9]{0,15})"  # an ack's seq may be 0
_CHAT_ID_RE = r"([A-Za-z0-9_-]{21}[AQgw])"  # canonical: see fields.is_chat_id
# The head of a canonical relay frame up to the payload's opening quote.
_STAFF_HEAD: Final = re.compile(
    r'\{"v":1,"type":"relay","chat_id":"' + _CHAT_ID_RE + r'","seq":' + _SEQ_RE + r',"payload":"'
)
_SEEKER_HEAD: Final = re.compile(r'\{"v":1,"type":"relay","seq":' + _SEQ_RE + r',"payload":"')
# A seeker's optional chat_id after the payload, to the end of the frame.
_CHAT_ID_TAIL: Final = re.compile(r'","chat_id":"' + _CHAT_ID_RE + r'"\}')
_TAIL_CHARS: Final = len('","chat_id":""}') + f.CHAT_ID_CHARS
# Whole canonical ack frames: the counsellor's, and the seeker's with an optional chat_id.
_STAFF_ACK: Final = re.compile(
    r'\{"v":1,"type":"ack","chat_id":"' + _CHAT_ID_RE + r'","seq":' + _COUNT_RE + r"\}"
)
_SEEKER_ACK: Final = re.compile(
    r'\{"v":1,"type":"ack","seq":' + _COUNT_RE + r'(?:,"chat_id":"' + _CHAT_ID_RE + r'")?\}'
)


def decode_seeker_frame(text: str | bytes, *, max_payload_bytes: int) -> SeekerFrame:
    """Decode a frame from a seeker (§2.1); any other type is ``unknown_type``."""
    if _use_fast and type(text) is str:
        fast = decode_seeker_fast(text, max_payload_bytes=max_payload_bytes)
        if fast is not None:
            chat_id, seq, payload = fast
            if payload is None:
                return _new_seeker_ack(seq, chat_id)
            return _new_seeker_relay(chat_id, seq, payload)
    obj = _parse(text)
    cls = SEEKER_FRAMES.get(_type(obj))
    if cls is None:
        raise FrameError("a seeker cannot send this type", code="unknown_type")
    if cls is SeekerAck:
        return _seeker_ack(obj) or SeekerAck.from_json(obj, envelope=True)
    if cls is SeekerRelay:
        return _seeker_relay(obj, max_payload_bytes) or _slow_relay(
            SeekerRelay, obj, max_payload_bytes
        )
    return cls.from_json(obj, envelope=True)


def decode_staff_frame(text: str | bytes, *, max_payload_bytes: int) -> StaffFrame:
    """Decode a frame from a counsellor (§2.2); any other type is ``unknown_type``."""
    if _use_fast and type(text) is str:
        fast = decode_staff_fast(text, max_payload_bytes=max_payload_bytes)
        if fast is not None:
            chat_id, seq, payload = fast
            if payload is None:
                return _new_staff_ack(chat_id, seq)
            return _new_staff_relay(chat_id, seq, payload)
    obj = _parse(text)
    cls = STAFF_FRAMES.get(_type(obj))
    if cls is None:
        raise FrameError("a counsellor cannot send this type", code="unknown_type")
    if cls is StaffAck:
        return _staff_ack(obj) or StaffAck.from_json(obj, envelope=True)
    if cls is StaffRelay:
        return _staff_relay(obj, max_payload_bytes) or _slow_relay(
            StaffRelay, obj, max_payload_bytes
        )
    if cls is TransferTo:
        if "language" in obj:  # the other shape of ``transfer``: to a language queue
            return TransferLanguage.from_json(obj, envelope=True)
        return _slow_relay(TransferTo, obj, max_payload_bytes)
    return cls.from_json(obj, envelope=True)


def decode_seeker_fast(text: str, *, max_payload_bytes: int) -> SeekerFast | None:
    """A seeker's canonical ``relay`` or ``ack`` as ``(chat_id, seq, payload)``, without
    building a frame (``payload`` None: an ack); None for any other text, which
    :func:`decode_seeker_frame` then decodes (or refuses). The hub's hot path."""
    m = _SEEKER_HEAD.match(text) or _STAFF_HEAD.match(text)
    if m is not None:
        return _canonical_relay(text, m, max_payload_bytes)
    m = _SEEKER_ACK.fullmatch(text)
    if m is not None:
        seq = int(m[1])
        if seq <= f.MAX_SEQ:
            return m[2], seq, None
    return None


def decode_staff_fast(text: str, *, max_payload_bytes: int) -> StaffFast | None:
    """A counsellor's canonical ``relay`` or ``ack`` as ``(chat_id, seq, payload)``
    (``payload`` None: an ack); None for any other text: see :func:`decode_seeker_fast`."""
    m = _STAFF_HEAD.match(text)
    if m is not None:
        start = m.end()
        end = len(text) - 2
        if start < end and end - start <= max_payload_bytes and text.endswith('"}'):
            seq = int(m[2])
            payload = text[start:end]
            if seq <= f.MAX_SEQ and f.is_b64u(payload):
                return m[1], seq, payload
        return None
    m = _STAFF_ACK.fullmatch(text)
    if m is not None:
        seq = int(m[2])
        if seq <= f.MAX_SEQ:
            return m[1], seq, None
    return None


def decode_server_frame(text: str | bytes, *, role: ClientRole | None = None) -> ServerFrame:
    """Decode a frame from the server (§2.3, §2.4), for clients.

    ``role`` selects the seeker's or the counsellor's frame set; a type the
    other role receives is then ``unknown_type``. Without it the role-specific
    frames are told apart by their fields: ``welcome`` with ``token`` is the
    seeker's, ``matched`` with ``language`` the counsellor's, and ``chat_ended``
    with ``feedback`` the seeker's. Clients should pass their role.

    Payload size is not limited here (the WebSocket library bounds frame size).
    """
    if _use_fast and type(text) is str:
        m = _STAFF_HEAD.match(text)
        if m is not None:
            fast = _canonical_relay(text, m, None)
            if fast is not None:
                return _new_relay_out(m[1], fast[1], fast[2])
    obj = _parse(text)
    kind = _type(obj)
    cls: type[ServerFrame] | None
    if role == "seeker":
        cls = SEEKER_SERVER_FRAMES.get(kind)
    elif role == "staff":
        cls = STAFF_SERVER_FRAMES.get(kind)
    elif kind == "welcome":
        cls = SeekerWelcome if "token" in obj else StaffWelcome
    elif kind == "matched":
        cls = StaffMatched if "language" in obj else SeekerMatched
    elif kind == "chat_ended":
        cls = SeekerChatEnded if "feedback" in obj else StaffChatEnded
    else:
        cls = SEEKER_SERVER_FRAMES.get(kind) or STAFF_SERVER_FRAMES.get(kind)
    if cls is None:
        raise FrameError("not a type the server sends to this role", code="unknown_type")
    if cls is RelayOut:
        return _relay_out(obj) or RelayOut.from_json(obj, envelope=True)
    return cls.from_json(obj, envelope=True)


# The steps ----------------------------------------------------------------------


def _loads(text: str) -> Any:
    """``json.loads`` without its Python-level overhead in the common case.

    The C scanner parses one value from index 0; when it used the whole text the
    answer is the same as the full decoder's. Otherwise (leading or trailing
    whitespace, extra data, not JSON) the full decoder gives the exact answer.
    """
    try:
        obj, end = _scan_once(text, 0)
    except StopIteration:
        pass
    else:
        if end == len(text):
            return obj
    return _DECODER.decode(text)


def _parse(text: str | bytes) -> dict[str, Any]:
    """Rules 1 and 2: a JSON object with ``"v": 1``."""
    if not isinstance(text, str):
        try:
            text = text.decode("utf-8")
        except (AttributeError, UnicodeDecodeError):
            raise FrameError("not UTF-8 text", code="bad_json") from None
    try:
        obj = _loads(text)
    except _DuplicateKeyError:
        raise FrameError("a key appears twice", code="bad_json") from None
    except (ValueError, RecursionError):
        raise FrameError("not JSON", code="bad_json") from None
    if type(obj) is not dict:
        raise FrameError("not a JSON object", code="bad_json")
    version = obj.get("v")
    if type(version) is not int or version != f.VERSION:
        raise FrameError("'v' must be 1", code="bad_version")
    return obj


def _type(obj: dict[str, Any]) -> str:
    """Rule 3, first half: ``type`` is a string (the caller looks it up)."""
    kind = obj.get("type")
    if type(kind) is not str:
        raise FrameError("'type' must be a string", code="unknown_type")
    return kind


def _good_payload(obj: dict[str, Any], limit: int | None) -> str | None:
    payload = obj.get("payload")
    if (
        type(payload) is str
        and payload
        and (limit is None or len(payload) <= limit)
        and f.is_b64u(payload)
    ):
        return payload
    return None


def _relay_fields(
    obj: dict[str, Any], limit: int | None, chat_required: bool
) -> tuple[str | None, int, str] | None:
    """A parsed relay frame's fields if they are all good, else None (the caller explains)."""
    if not obj.keys() <= _RELAY_KEYS:
        return None
    seq = obj.get("seq")
    chat_id = obj.get("chat_id")
    payload = _good_payload(obj, limit)
    if payload is None or not f.is_seq(seq):
        return None
    if f.is_chat_id(chat_id):
        return chat_id, seq, payload
    if chat_id is None and not chat_required:
        return None, seq, payload
    return None


def _seeker_relay(obj: dict[str, Any], limit: int) -> SeekerRelay | None:
    fields = _relay_fields(obj, limit, chat_required=False)
    return None if fields is None else _new_seeker_relay(*fields)


def _staff_relay(obj: dict[str, Any], limit: int) -> StaffRelay | None:
    fields = _relay_fields(obj, limit, chat_required=True)
    if fields is None or fields[0] is None:
        return None
    return _new_staff_relay(fields[0], fields[1], fields[2])


def _relay_out(obj: dict[str, Any]) -> RelayOut | None:
    fields = _relay_fields(obj, None, chat_required=True)
    if fields is None or fields[0] is None:
        return None
    return _new_relay_out(fields[0], fields[1], fields[2])


# Frames built from fields checked above, without running the checks again.


def _new_seeker_relay(chat_id: str | None, seq: int, payload: str) -> SeekerRelay:
    frame = object.__new__(SeekerRelay)
    _set(frame, "seq", seq)
    _set(frame, "payload", payload)
    _set(frame, "chat_id", chat_id)
    return frame


def _new_staff_relay(chat_id: str, seq: int, payload: str) -> StaffRelay:
    frame = object.__new__(StaffRelay)
    _set(frame, "chat_id", chat_id)
    _set(frame, "seq", seq)
    _set(frame, "payload", payload)
    return frame


def _new_relay_out(chat_id: str, seq: int, payload: str) -> RelayOut:
    frame = object.__new__(RelayOut)
    _set(frame, "chat_id", chat_id)
    _set(frame, "seq", seq)
    _set(frame, "payload", payload)
    return frame


def _new_seeker_ack(seq: int, chat_id: str | None) -> SeekerAck:
    frame = object.__new__(SeekerAck)
    _set(frame, "seq", seq)
    _set(frame, "chat_id", chat_id)
    return frame


def _new_staff_ack(chat_id: str, seq: int) -> StaffAck:
    frame = object.__new__(StaffAck)
    _set(frame, "chat_id", chat_id)
    _set(frame, "seq", seq)
    return frame


_SEEKER_ACK_KEYS: Final = frozenset({"v", "type", "seq", "chat_id"})


def _seeker_ack(obj: dict[str, Any]) -> SeekerAck | None:
    """An ack frame (already known to be one, ``v`` checked), or None if anything is off."""
    seq = obj.get("seq")
    chat_id = obj.get("chat_id")
    if not (
        obj.keys() <= _SEEKER_ACK_KEYS
        and f.is_seq(seq, 0)
        and (chat_id is None or f.is_chat_id(chat_id))
    ):
        return None
    return _new_seeker_ack(seq, chat_id)


def _staff_ack(obj: dict[str, Any]) -> StaffAck | None:
    seq = obj.get("seq")
    chat_id = obj.get("chat_id")
    if not (obj.keys() <= _SEEKER_ACK_KEYS and f.is_seq(seq, 0) and f.is_chat_id(chat_id)):
        return None
    return _new_staff_ack(chat_id, seq)


def _slow_relay(cls: type[_R], obj: dict[str, Any], limit: int) -> _R:
    """Rules 4 and 5 for a relay frame (or a ``transfer`` carrying an envelope), with
    ``seq`` attached to any error."""
    seq = obj.get("seq")
    echo = seq if f.is_seq(seq) else None
    payload = obj.get("payload")
    if type(payload) is str and len(payload) > limit:
        raise FrameError(
            f"{cls.WHAT}: 'payload' is over {limit} bytes", code="payload_too_large", seq=echo
        )
    try:
        return cls.from_json(obj, envelope=True)
    except FrameError as exc:
        exc.seq = echo
        raise


def _canonical_relay(
    text: str, head: re.Match[str], limit: int | None
) -> tuple[str | None, int, str] | None:
    """``(chat_id, seq, payload)`` if ``text`` is a canonical relay frame, else None.

    ``head`` matched the start of ``text`` up to the payload's opening quote; a
    seeker's frame may end with ``chat_id`` after the payload. The payload runs
    to the closing ``"}`` (or to the tail that holds ``chat_id``) and must be
    base64url: without quotes or backslashes it cannot hide another field.
    """
    if not text.endswith('"}'):
        return None
    groups = head.groups()
    if len(groups) == 2:
        chat_id: str | None = groups[0]
        seq_text = groups[1]
        end = len(text) - 2
    else:
        seq_text = groups[0]
        end = len(text) - _TAIL_CHARS
        tail = _CHAT_ID_TAIL.fullmatch(text, end) if end > head.end() else None
        if tail is not None:
            chat_id = tail[1]
        else:
            chat_id = None
            end = len(text) - 2
    start = head.end()
    if end <= start or (limit is not None and end - start > limit):
        return None
    seq = int(seq_text)
    payload = text[start:end]
    if seq > f.MAX_SEQ or not f.is_b64u(payload):
        return None
    return chat_id, seq, payload
