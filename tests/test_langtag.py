"""Queue codes as BCP 47 language tags (helpline.langtag): the accepted subset and its
normal form, which must also fit the wire's rule for language codes."""

from __future__ import annotations

import pytest

from helpline.langtag import TagError, is_tag, normalise_tag
from helpline.wire.fields import is_language


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("fil", "fil"),
        ("pt-BR", "pt-br"),
        ("sr-Latn", "sr-latn"),
        ("sr-Latn-RS", "sr-latn-rs"),
        ("zh-Hant-TW", "zh-hant-tw"),
        ("es-419", "es-419"),
        ("de-1996", "de-1996"),
        ("ca-valencia", "ca-valencia"),
        ("sl-rozaj-biske", "sl-rozaj-biske"),
    ],
)
def test_accepted_tags_and_their_normal_form(given: str, normal: str) -> None:
    assert normalise_tag(given) == normal
    assert is_tag(normal)
    assert is_language(normal)  # a seeker's join can name it


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "needed"),
        (None, "needed"),
        ("e", "2 or 3 letters"),
        ("english", "2 or 3 letters"),
        ("1a", "2 or 3 letters"),
        ("pt_BR", "letters, digits and hyphens"),
        ("ü", "letters, digits and hyphens"),
        ("en US", "letters, digits and hyphens"),
        ("en-", "empty part"),
        ("en--us", "empty part"),
        ("x-private", "2 or 3 letters"),
        ("en-u-ca-gregory", '"u"'),
        ("zh-yue", '"yue"'),
        ("en-us-us", '"us"'),
        ("en-latn-latn", '"latn"'),
        ("de-1996-1996", "repeated"),
        ("en-verylongvariant", "16 characters"),
    ],
)
def test_refused_tags_say_why(given: object, words: str) -> None:
    with pytest.raises(TagError) as refused:
        normalise_tag(given)
    message = str(refused.value)
    assert words in message
    assert message[0].isupper()
    assert message.endswith(".")


def test_is_tag_wants_the_normal_form() -> None:
    assert not is_tag("pt-BR")
    assert not is_tag("nonsense")
