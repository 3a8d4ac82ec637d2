"""The one exception tree of the server package.

Every error a peer can cause carries the protocol code that ``docs/protocol.md``
documents, so the web layer can turn it into an ``error`` frame or a close code
without guessing::

    HelplineError                 root; never raised itself
    ├── ProtocolError             a peer broke the protocol: answered with an error frame
    │   └── AbuseError            a peer abuses the service: the connection is closed
    ├── AuthError                 staff authentication failed or is missing
    ├── ConfigError               the operator's configuration is invalid
    └── StoreError                the database refused or failed an operation
"""

from __future__ import annotations


class HelplineError(Exception):
    """Root of every exception raised on purpose by ``helpline``."""

    code: str = "internal"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message or self.__class__.__doc__ or "")
        if code is not None:
            self.code = code

    @property
    def message(self) -> str:
        return str(self)


class ProtocolError(HelplineError):
    """A frame broke the protocol; the sender gets an ``error`` frame with ``code``."""

    code = "bad_frame"


class AbuseError(ProtocolError):
    """The peer abuses the connection; it is closed with ``close_code``."""

    code = "abuse"

    def __init__(self, message: str = "", *, code: str | None = None, close_code: int) -> None:
        super().__init__(message, code=code)
        self.close_code = close_code


class AuthError(HelplineError):
    """Staff authentication is missing, wrong or rate-limited."""

    code = "unauthorized"


class ConfigError(HelplineError):
    """The configuration cannot be used."""

    code = "config"


class StoreError(HelplineError):
    """Storage failed or refused an operation (for example a duplicate username)."""

    code = "store"
