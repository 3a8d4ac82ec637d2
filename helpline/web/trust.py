"""The organisation's key as the server sees it: identity keys, certificates,
the revocation list, and who may take chats (docs/crypto.md, HLP1 "Keys").

In production (``org_public_key`` configured) the server holds only the
organisation's *public* key: it checks certificates and revocation lists that
the operator signs offline and uploads (``python -m helpline keys …``), and
stores them. It never signs anything.

In development mode (no ``org_public_key``) the server makes a development
organisation key once, as plain JSON in ``data_dir/dev-org-key.json`` (mode
0600), certifies every new identity key with it at once (handle = username,
90 days) and keeps a current revocation list signed with it. This is for
``make run`` and tests only, and every start says so on stdout.

Checks of the form "verify as of some other time" (``now=not_after`` for a
certificate, ``now=issued_at`` for a list) check the signature and the layout
of something stored earlier without asking whether it is still current.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from crypto import certs
from crypto.encoding import b64u_decode, b64u_encode
from crypto.errors import CryptoError
from crypto.primitives import check_certifiable_key
from helpline.config import Config
from helpline.core.staff import StaffAccount
from helpline.errors import ConfigError, StoreError
from helpline.store.engine import Database
from helpline.store.identity import IdentityKey, KeyState, StoredRevocationList

log = logging.getLogger(__name__)

DAY = 86_400
CERT_VALIDITY_S = 90 * DAY
DEV_RENEW_BEFORE_S = 30 * DAY  # development certificates are renewed this long before expiry
DEV_LIST_REFRESH_S = 1 * DAY  # the development revocation list is re-signed when this old
DEV_LIST_VALIDITY_S = 30 * DAY
DEV_KEY_FILE = "dev-org-key.json"
DEV_KEY_KIND = "helpline-development-org-key"
SEED_BYTES = 32

DEVELOPMENT_WARNING = """\
WARNING: development mode. No organisation key is configured (HELPLINE_ORG_PUBLIC_KEY),
so this server made its own development organisation key in {path}
and certifies every counsellor key with it by itself. Anyone who can read that file or
this server can impersonate any counsellor. Never run a real helpline like this.
For production, create the organisation key on a machine that is not this server:

    python -m helpline keys init-org

keep the key file and its passphrase offline, set HELPLINE_ORG_PUBLIC_KEY to the public
key it prints, and certify counsellors with `python -m helpline keys certify`.
Development organisation key fingerprint: {fingerprint}
"""


class TrustError(Exception):
    """A refused key operation: the HTTP status and the error code (§6)."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


@dataclass(frozen=True, slots=True)
class OrgKey:
    public_key: bytes
    dev_seed: bytes | None  # only in development mode

    @property
    def development(self) -> bool:
        return self.dev_seed is not None

    @property
    def fingerprint(self) -> str:
        return certs.fingerprint(self.public_key)


@dataclass(frozen=True, slots=True)
class KeyStatus:
    """What the chat gate needs to know about an account's key."""

    state: KeyState
    not_after: int | None


def load_org_key(config: Config) -> OrgKey:
    if config.org_public_key:
        return OrgKey(b64u_decode(config.org_public_key, 32), None)
    seed = load_dev_seed(config.data_dir / DEV_KEY_FILE)
    return OrgKey(certs.org_public_key(seed), seed)


def load_dev_seed(path: Path) -> bytes:
    """The development organisation seed in ``path``, made (once) if missing."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        seed = os.urandom(SEED_BYTES)
        public = certs.org_public_key(seed)
        content = {
            "kind": DEV_KEY_KIND,
            "version": 1,
            "warning": "development only: never use this key for a real helpline",
            "signing_seed": b64u_encode(seed),
            "public_key": b64u_encode(public),
            "fingerprint": certs.fingerprint(public),
        }
        with contextlib.suppress(FileExistsError):
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(content, out, indent=2)
                out.write("\n")
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot use the development organisation key {path}: {exc}") from None
    if not isinstance(stored, dict) or stored.get("kind") != DEV_KEY_KIND:
        raise ConfigError(f"{path} is not a development organisation key")
    try:
        return b64u_decode(str(stored.get("signing_seed")), SEED_BYTES)
    except CryptoError:
        raise ConfigError(f"{path}: the signing seed is not 32 bytes of base64url") from None


def key_state(key: IdentityKey | None, now: float) -> str:
    """``none``, ``pending``, ``valid``, ``expired`` or ``revoked`` (§6)."""
    if key is None:
        return "none"
    if key.state is KeyState.VALID and (key.not_after is None or key.not_after < now):
        return "expired"
    return key.state.value


class Trust:
    """The one place where identity keys change, and the in-memory chat gate.

    The gate (:meth:`refusal`) is read on the WebSocket hot path, so it never
    touches the database: it mirrors each account's key state, loaded at start,
    reloaded for an account when it connects, and updated on every change made
    here.
    """

    def __init__(
        self,
        config: Config,
        database: Database,
        org: OrgKey,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.database = database
        self.org = org
        self.clock = clock
        self._gate: dict[int, KeyStatus] = {}

    # -- start ---------------------------------------------------------------------

    async def start(self) -> None:
        """Drop what the organisation key did not sign (the key changed: a switch from
        development mode, a new development key); in development mode certify what is
        waiting and make the revocation list current."""
        repo = self.database.identity
        stored = await repo.revocation_list()
        if stored is not None and self._stored_list(stored) is None:
            log.warning("the stored revocation list is not signed by the organisation key")
            await repo.clear_revocation_list()
        for key in await repo.all():
            if key.state is KeyState.VALID and not self._cert_signed(key):
                log.warning("a certificate not signed by the organisation key was dropped")
                await repo.uncertify(key.account_id, key.ik)
        if self.org.development:
            await self.current_revocation_list()
            usernames = {a.id: a.username for a in await self.database.accounts.list()}
            for key in await repo.all():
                if key.account_id in usernames:
                    await self._dev_maintain(key, usernames[key.account_id])
        self._gate = {k.account_id: KeyStatus(k.state, k.not_after) for k in await repo.all()}

    def _cert_signed(self, key: IdentityKey) -> bool:
        if key.cert is None or key.not_after is None:
            return False
        try:
            cert = certs.verify_certificate(self.org.public_key, key.cert, key.not_after)
        except CryptoError:
            return False
        return cert.ik == key.ik

    def _stored_list(self, stored: StoredRevocationList) -> certs.RevocationList | None:
        try:
            return certs.verify_revocation_list(self.org.public_key, stored.blob, stored.issued_at)
        except CryptoError:
            return None

    # -- the gate ------------------------------------------------------------------

    def refusal(self, account_id: int, now: float) -> str | None:
        """Why this account may not take chats now, or None if it may."""
        status = self._gate.get(account_id)
        if status is None:
            return "no identity key: create one in the workspace first"
        if status.state is KeyState.REVOKED:
            return "this identity key has been revoked: create a new one"
        if status.state is KeyState.PENDING:
            return "this identity key is waiting for the organisation's certificate"
        if status.not_after is None or status.not_after < now:
            return "the certificate of this identity key has expired: ask for a renewal"
        return None

    async def reload(self, account_id: int) -> None:
        key = await self.database.identity.get(account_id)
        self._note(account_id, key)

    def _note(self, account_id: int, key: IdentityKey | None) -> None:
        if key is None:
            self._gate.pop(account_id, None)
        else:
            self._gate[account_id] = KeyStatus(key.state, key.not_after)

    # -- identity keys -------------------------------------------------------------

    async def identity(self, account: StaffAccount) -> IdentityKey | None:
        key = await self.database.identity.get(account.id)
        if key is not None and self.org.development:
            key = await self._dev_maintain(key, account.username)
        return key

    async def register(
        self, account: StaffAccount, ik: bytes, wrapped_seed: bytes, *, replace: bool
    ) -> IdentityKey:
        """Store the account's new identity key (pending; certified at once in
        development mode)."""
        try:
            check_certifiable_key(ik)
        except CryptoError as exc:
            raise TrustError(400, exc.code) from None
        now = self.clock()
        current = await self.current_revocation_list()
        listed = self._stored_list(current) if current is not None else None
        if listed is not None and ik in listed.revoked:
            raise TrustError(409, "revoked")
        try:
            registered = await self.database.identity.register(
                account.id, ik, wrapped_seed, now, replace=replace
            )
        except StoreError as exc:
            if exc.code in ("identity_exists", "key_in_use"):
                raise TrustError(409, exc.code) from None
            raise
        key = registered.key
        if self.org.development:
            old = registered.replaced
            if old is not None and old.ik != ik and old.state is not KeyState.PENDING:
                await self._dev_sign_list(extra=frozenset({old.ik}))
            key = await self._dev_maintain(key, account.username)
        self._note(account.id, key)
        return key

    async def drop(self, account_id: int) -> IdentityKey | None:
        """Delete the account's key (a password reset: the seed is lost); the account
        may not take chats until a new key is certified. In development mode a key
        that was certified goes on the revocation list, as when one is replaced; in
        production the operator revokes it offline (``keys revoke``)."""
        old = await self.database.identity.remove(account_id)
        self._note(account_id, None)
        if old is not None and self.org.development and old.state is not KeyState.PENDING:
            await self._dev_sign_list(extra=frozenset({old.ik}))
        return old

    async def certify(self, account_id: int, cert: bytes) -> IdentityKey:
        """Store an organisation certificate for the account's current key."""
        key = await self.database.identity.get(account_id)
        if key is None:
            raise TrustError(404, "not_found")
        if key.state is KeyState.REVOKED:
            raise TrustError(409, "revoked")
        now = self.clock()
        try:
            checked = certs.verify_certificate(self.org.public_key, cert, int(now))
        except CryptoError as exc:
            raise TrustError(400, exc.code) from None
        if checked.ik != key.ik:
            raise TrustError(400, "wrong_key")
        stored = await self.database.identity.certify(
            account_id, key.ik, cert, checked.handle, checked.not_after, now
        )
        if stored is None:  # replaced or revoked meanwhile
            raise TrustError(409, "wrong_key")
        self._note(account_id, stored)
        return stored

    # -- the revocation list -------------------------------------------------------

    async def current_revocation_list(self) -> StoredRevocationList | None:
        """The stored list; in development mode re-signed first when a day old."""
        stored = await self.database.identity.revocation_list()
        if self.org.development and (
            stored is None or stored.issued_at + DEV_LIST_REFRESH_S <= self.clock()
        ):
            await self._dev_sign_list()
            stored = await self.database.identity.revocation_list()
        return stored

    async def store_revocation_list(self, blob: bytes) -> tuple[StoredRevocationList, list[int]]:
        """Check a signed list (current, not older than the stored one) and store it;
        the keys it lists become revoked. Returns the list and the accounts whose
        key was revoked just now."""
        stored = await self.database.identity.revocation_list()
        now = self.clock()
        try:
            checked = certs.verify_revocation_list(
                self.org.public_key,
                blob,
                int(now),
                newest_issued_at=None if stored is None else stored.issued_at,
            )
        except CryptoError as exc:
            raise TrustError(400, exc.code) from None
        newly = await self.database.identity.store_revocation_list(
            blob, checked.issued_at, checked.revoked, now
        )
        if newly is None:  # a newer list was stored meanwhile
            raise TrustError(400, "stale_revocation_list")
        for account_id in newly:
            self._gate[account_id] = KeyStatus(KeyState.REVOKED, None)
        return StoredRevocationList(blob, checked.issued_at, now), newly

    # -- development mode ----------------------------------------------------------

    async def _dev_maintain(self, key: IdentityKey, username: str) -> IdentityKey:
        """Certify a pending key, renew a certificate close to expiry (development only)."""
        seed = self.org.dev_seed
        now = int(self.clock())
        if seed is None or key.state is KeyState.REVOKED:
            return key
        if key.state is KeyState.VALID and (key.not_after or 0) > now + DEV_RENEW_BEFORE_S:
            return key
        not_after = now + CERT_VALIDITY_S
        try:
            cert = certs.make_certificate(seed, key.ik, not_after, username)
        except CryptoError as exc:
            log.warning("no development certificate for a key: %s", exc.code)
            return key
        stored = await self.database.identity.certify(
            key.account_id, key.ik, cert, username, not_after, now
        )
        if stored is None:
            return key
        self._note(key.account_id, stored)
        return stored

    async def _dev_sign_list(self, extra: frozenset[bytes] = frozenset()) -> None:
        seed = self.org.dev_seed
        if seed is None:
            return
        repo = self.database.identity
        stored = await repo.revocation_list()
        revoked = set(extra)
        if stored is not None:
            previous = self._stored_list(stored)
            if previous is not None:
                revoked |= previous.revoked
        revoked |= {k.ik for k in await repo.all() if k.state is KeyState.REVOKED}
        now = int(self.clock())
        if stored is not None:
            now = max(now, stored.issued_at)
        blob = certs.make_revocation_list(seed, now, now + DEV_LIST_VALIDITY_S, sorted(revoked))
        newly = await repo.store_revocation_list(blob, now, frozenset(revoked), now)
        for account_id in newly or ():
            self._gate[account_id] = KeyStatus(KeyState.REVOKED, None)


__all__ = [
    "DEVELOPMENT_WARNING",
    "KeyStatus",
    "OrgKey",
    "Trust",
    "TrustError",
    "key_state",
    "load_org_key",
]
