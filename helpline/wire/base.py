"""The common base of every frame class: JSON shape in and out (docs/protocol.md §2).

A frame class is a frozen, slotted dataclass whose fields are the frame's
fields in the documented order, whose ``__post_init__`` validates (raising
:class:`~helpline.wire.fields.FrameError`), and whose ``TYPE`` is the wire
``type``. Optional fields listed in ``OMIT_NONE`` are left out of the JSON when
they are None; every other field is always written, null included.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar, Final, Self

from helpline.wire.fields import VERSION, FrameError

_ENVELOPE = frozenset({"v", "type"})
_DUMPS = json.JSONEncoder(separators=(",", ":")).encode


class Record:
    """A validated group of fields: a frame, or an object nested in one."""

    __slots__ = ()
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]
    #: What error messages call this record.
    WHAT: ClassVar[str]
    OMIT_NONE: ClassVar[frozenset[str]] = frozenset()
    #: Fields with a default in Python that the JSON must nevertheless carry.
    JSON_REQUIRED: ClassVar[frozenset[str]] = frozenset()

    def fields_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in _spec(type(self)).names:
            value = getattr(self, name)
            if value is None and name in self.OMIT_NONE:
                continue
            out[name] = _jsonable(value)
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any], envelope: bool = False) -> Self:
        """Build from a parsed JSON object: no unknown field, every required one present.

        With ``envelope``, ``obj`` is a whole frame whose ``v`` and ``type`` the
        caller has checked; they are skipped.
        """
        spec = _SPECS.get(cls) or _spec(cls)
        keys = obj.keys()
        allowed = spec.frame_keys if envelope else spec.names_set
        if not keys <= allowed:
            extra = next(k for k in obj if k not in allowed)
            raise FrameError(f"{cls.WHAT}: unexpected field {_show(extra)}")
        if not spec.required_set <= keys:
            missing = next(name for name in spec.required if name not in keys)
            raise FrameError(f"{cls.WHAT}: {missing!r} is missing", code="missing_field")
        values = dict(obj)
        if envelope:
            del values["v"], values["type"]
        return cls(**cls.prepare(values))

    @classmethod
    def prepare(cls, values: dict[str, Any]) -> dict[str, Any]:
        """Turn nested JSON values into records before construction (default: as is)."""
        return values


class Frame(Record):
    """One WebSocket text frame: ``{"v":1,"type":TYPE,...fields}``."""

    __slots__ = ()
    TYPE: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": VERSION, "type": self.TYPE}
        out.update(self.fields_json())
        return out

    def serialize(self) -> str:
        """Compact JSON text, fields in the documented order.

        The hot frames (relay, ack, delivered) override this with string
        concatenation; :meth:`serialize_json` is the general encoder they must match.
        """
        return _DUMPS(self.to_json())

    def serialize_json(self) -> str:
        """The general JSON encoding (what :meth:`serialize` returns unless overridden)."""
        return _DUMPS(self.to_json())


class _Spec:
    __slots__ = ("frame_keys", "names", "names_set", "required", "required_set")

    def __init__(self, cls: type[Record]) -> None:
        fields = dataclasses.fields(cls)
        self.names = tuple(f.name for f in fields)
        self.names_set = frozenset(self.names)
        self.frame_keys = self.names_set | _ENVELOPE
        self.required = tuple(
            f.name
            for f in fields
            if f.name in cls.JSON_REQUIRED
            or (f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING)
        )
        self.required_set = frozenset(self.required)


_SPECS: dict[type[Record], _Spec] = {}


def _spec(cls: type[Record]) -> _Spec:
    spec = _SPECS.get(cls)
    if spec is None:
        spec = _SPECS[cls] = _Spec(cls)
    return spec


def _jsonable(value: object) -> object:
    if isinstance(value, Record):
        return value.fields_json()
    if isinstance(value, tuple):
        return [_jsonable(item) for item in value]
    return value


def _show(key: str) -> str:
    """A field name for an error message: bounded, control characters escaped."""
    return repr(key[:32]) + ("..." if len(key) > 32 else "")


# Hot-path serializers ---------------------------------------------------------

_RELAY_HEAD: Final = '{"v":1,"type":"relay","chat_id":"'
_DELIVERED_HEAD: Final = '{"v":1,"type":"delivered","chat_id":"'


def relay_text(chat_id: str, seq: int, payload: str) -> str:
    """The server's ``relay`` frame (§2.3) by string concatenation, for the hot path.

    Equal to ``RelayOut(chat_id, seq, payload).serialize()`` without building
    the frame. The arguments must already be valid, as a decoded frame's fields
    are: base64url never needs escaping in JSON, and ``seq`` is an int.
    """
    # One join copies the (up to 64 KiB) payload once; chained ``+`` would copy it thrice.
    return "".join((_RELAY_HEAD, chat_id, '","seq":', str(seq), ',"payload":"', payload, '"}'))


def delivered_text(chat_id: str, seq: int) -> str:
    """The ``delivered`` frame (§2.3) by string concatenation; same rules as :func:`relay_text`."""
    return _DELIVERED_HEAD + chat_id + '","seq":' + str(seq) + "}"
