"""Queue codes: BCP 47 language tags, checked and normalised (docs/operations.md).

A queue's code is what a seeker's ``join`` names (docs/protocol.md §2.1), so it
must also fit the wire's rule: 2 to 16 characters of ``a-z 0-9 -``. Of the
BCP 47 grammar (RFC 5646 §2.1) Helpline accepts the part a helpline needs::

    language    2 or 3 letters            (ISO 639: "en", "fil")
    ["-" script]   4 letters              ("sr-latn", "zh-hant")
    ["-" region]   2 letters or 3 digits  ("pt-br", "es-419")
    *("-" variant) 5 to 8 letters/digits, or a digit and 3 letters/digits
                                          ("de-1996", "ca-valencia")

Extensions (``-u-…``), private use (``-x-…``), extended language subtags
(``zh-yue``) and grandfathered tags are refused: none is needed to name a
queue, and each would make two spellings of one queue possible.

**Normalisation.** BCP 47 tags are case-insensitive ("pt-BR" and "pt-br" are
the same tag, RFC 5646 §2.1.1), and the wire alphabet has no capitals, so a
code is stored and matched in lower case: "pt-BR" is accepted and becomes
"pt-br", "sr-Latn" becomes "sr-latn". An underscore ("pt_BR", a common
locale spelling) is refused rather than guessed at. Whether a subtag is in the
IANA registry is not checked (the registry changes; a bound on the shape is
what keeps bad input out), and a variant may not repeat.
"""

from __future__ import annotations

MAX_TAG = 16  # the wire's limit on a language code (helpline.wire.fields.is_language)

_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")
_ALNUM = _LETTERS | _DIGITS


class TagError(ValueError):
    """Not a language tag Helpline accepts; the message is one English sentence."""


def _letters(part: str) -> bool:
    return bool(part) and set(part) <= _LETTERS


def _digits(part: str) -> bool:
    return bool(part) and set(part) <= _DIGITS


def _region(part: str) -> bool:
    return (len(part) == 2 and _letters(part)) or (len(part) == 3 and _digits(part))


def _variant(part: str) -> bool:
    if not set(part) <= _ALNUM:
        return False
    return 5 <= len(part) <= 8 or (len(part) == 4 and part[0] in _DIGITS)


def normalise_tag(value: object) -> str:
    """The lower-case form of a BCP 47 tag in the subset above, or :class:`TagError`."""
    if not isinstance(value, str) or not value:
        raise TagError('A language code is needed, such as "en", "pt-BR" or "sr-Latn".')
    if len(value) > MAX_TAG:
        raise TagError(f"A language code has at most {MAX_TAG} characters.")
    if not value.isascii() or not all(c.isalnum() or c == "-" for c in value):
        raise TagError('A language code has only letters, digits and hyphens, such as "pt-BR".')
    parts = value.lower().split("-")
    if "" in parts:
        raise TagError("A language code has no empty part before, after or between hyphens.")
    if not (_letters(parts[0]) and 2 <= len(parts[0]) <= 3):
        raise TagError(
            'A language code starts with a language of 2 or 3 letters, such as "en" or "fil".'
        )
    rest = parts[1:]
    if rest and len(rest[0]) == 4 and _letters(rest[0]):
        rest = rest[1:]  # the script
    if rest and (
        (len(rest[0]) == 2 and _letters(rest[0])) or (len(rest[0]) == 3 and _digits(rest[0]))
    ):
        rest = rest[1:]  # the region
    seen: set[str] = set()
    for part in rest:
        if not _variant(part):
            raise TagError(
                f'The part "{part[:16]}" is not a script (4 letters), a region (2 letters or '
                "3 digits) or a variant (5 to 8 letters or digits), in that order."
            )
        if part in seen:
            raise TagError(f'The variant "{part}" is repeated.')
        seen.add(part)
    return "-".join(parts)


def is_tag(value: object) -> bool:
    """Whether ``value`` is an accepted tag already in its normal (lower-case) form."""
    try:
        return normalise_tag(value) == value
    except TagError:
        return False
