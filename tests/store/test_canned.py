"""Canned responses (helpline.store.canned): order, limits, changes."""

from __future__ import annotations

import pytest

from helpline.errors import StoreError
from helpline.store import Database
from helpline.store.canned import MAX_PER_LANGUAGE, CannedResponse, acceptable


async def test_add_list_update_remove(database: Database) -> None:
    first = await database.canned.add("en", "Hello", "Hello, how can I help?")
    other = await database.canned.add("de", "Hallo", "Hallo!")
    second = await database.canned.add("en", "Bye", "Take care.\nBye.")
    assert await database.canned.list() == [other, first, second]
    assert await database.canned.list(["en"]) == [first, second]
    assert await database.canned.list([]) == []
    changed = await database.canned.update(first.id, text="Hi!")
    assert changed == CannedResponse(first.id, "en", "Hello", "Hi!")
    assert await database.canned.get(first.id) == changed
    assert await database.canned.update(999, title="x") is None
    assert await database.canned.remove(first.id)
    assert not await database.canned.remove(first.id)
    assert await database.canned.list(["en"]) == [second]


async def test_limits(database: Database) -> None:
    with pytest.raises(StoreError):
        await database.canned.add("en", "x" * 81, "text")
    with pytest.raises(StoreError):
        await database.canned.add("en", "title", "x" * 2001)
    for n in range(MAX_PER_LANGUAGE):
        await database.canned.add("fr", f"t{n}", "x")
    with pytest.raises(StoreError) as refused:
        await database.canned.add("fr", "one more", "x")
    assert refused.value.code == "too_many"
    await database.canned.add("en", "other language", "fine")


def test_acceptable_text() -> None:
    assert acceptable("two\nlines\tand a tab", lines=True)
    assert not acceptable("two\nlines", lines=False)
    assert not acceptable("bell\x07", lines=True)
    assert not acceptable("   ", lines=True)
    assert acceptable("👩‍⚕️ emoji with a joiner", lines=False)


@pytest.mark.parametrize(
    "format_character",
    [
        *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
        *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
        "\u200b",  # zero-width space
        "\u200e",  # left-to-right mark
        "\u200f",  # right-to-left mark
        "\u2060",  # word joiner
        "\ufeff",  # zero-width no-break space
        "\u00ad",  # soft hyphen
        "\U000e0001",  # language tag
    ],
)
def test_format_characters_are_refused_in_titles_and_texts(format_character: str) -> None:
    """A canned text must not reorder or hide part of itself (Trojan Source style)."""
    for lines in (False, True):
        assert not acceptable(f"Call {format_character}us", lines=lines)
        assert not acceptable(format_character, lines=lines)


def test_joiners_are_allowed() -> None:
    for lines in (False, True):
        assert acceptable("ZWNJ: می\u200cخواهم", lines=lines)  # Persian needs it
        assert acceptable("ZWJ: क्\u200dष", lines=lines)
