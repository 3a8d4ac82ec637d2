"""Built-in names of languages in themselves (endonyms): a queue's name when the
operator gave it none (:meth:`helpline.service.Service.name`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: Built-in names of languages in themselves (endonyms), for queues the file does not name.
ENDONYMS: Mapping[str, str] = MappingProxyType(
    {
        "ar": "العربية",
        "bg": "Български",
        "cs": "Čeština",
        "da": "Dansk",
        "de": "Deutsch",
        "el": "Ελληνικά",
        "en": "English",
        "es": "Español",
        "et": "Eesti",
        "fa": "فارسی",
        "fi": "Suomi",
        "fr": "Français",
        "ga": "Gaeilge",
        "he": "עברית",
        "hr": "Hrvatski",
        "hu": "Magyar",
        "is": "Íslenska",
        "it": "Italiano",
        "lt": "Lietuvių",
        "lv": "Latviešu",
        "mt": "Malti",
        "nb": "Norsk bokmål",
        "nl": "Nederlands",
        "nn": "Norsk nynorsk",
        "no": "Norsk",
        "pl": "Polski",
        "pt": "Português",
        "ro": "Română",
        "ru": "Русский",
        "sk": "Slovenčina",
        "sl": "Slovenščina",
        "sq": "Shqip",
        "sr": "Српски",
        "sv": "Svenska",
        "tr": "Türkçe",
        "uk": "Українська",
        "ur": "اردو",
        "zh": "中文",
    }
)
