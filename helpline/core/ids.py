"""Random identifiers: chat ids and resume tokens are never sequential."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable

#: Returns ``n`` random bytes. Production uses :func:`secrets.token_bytes`;
#: tests may inject a deterministic source.
IdSource = Callable[[int], bytes]

CHAT_ID_BYTES = 16  # HLP1: the relay assigns chat_id, 16 random bytes
TOKEN_BYTES = 32  # resume tokens: 256 bits


def b64u(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def new_chat_id(source: IdSource = secrets.token_bytes) -> str:
    return b64u(source(CHAT_ID_BYTES))


def new_token(source: IdSource = secrets.token_bytes) -> str:
    return b64u(source(TOKEN_BYTES))
