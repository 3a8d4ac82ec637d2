"""Staff administration over HTTP (docs/protocol.md §6.7), for supervisors.

- ``GET /api/admin/staff``: every account with its identity key's fingerprint and
  certification state, its second factor and its presence now.
- ``POST /api/admin/staff``: a new account. The browser derives the login secret
  from the initial password (``salt``, ``secret``, ``iterations``, as a password
  change does); the server stores Argon2id of the secret and never sees the
  password.
- ``POST /api/admin/staff/{id}``: role, languages, capacity, disabled. Disabling
  takes the counsellor off duty at once (no offer from then on, its staff
  connections closed with 4001, every session ended); the signed revocation of
  its key still comes from the offline ``keys revoke``. Role, languages and
  capacity apply from the account's next sign-in.
- ``POST /api/admin/staff/{id}/password``: a new login secret; every session ends
  and the identity key is dropped (its seed was wrapped under the old password,
  so nobody can unwrap it any more): the workspace makes a new one at the next
  sign-in, to be certified again.

A supervisor cannot disable or demote themselves (409 ``self``), so there is
always one supervisor left who can undo a mistake. Every change is audited.
"""

from __future__ import annotations

import time

from aiohttp import web

from crypto import certs
from helpline.core.staff import Role, StaffAccount
from helpline.errors import StoreError
from helpline.store.accounts import KdfParams
from helpline.store.identity import IdentityKey
from helpline.store.models import KDF_SALT_BYTES
from helpline.store.passwords import hash_secret
from helpline.web.admin_audit_api import record
from helpline.web.admin_forms import (
    bad,
    check_capacity,
    check_languages,
    check_role,
    check_username,
    kdf_iterations,
)
from helpline.web.api import ApiError, Body, supervisor
from helpline.web.keys import CONFIG, DATABASE, HUB, SERVICE, TRUST
from helpline.web.staff_api import SECRET_BYTES
from helpline.web.trust import key_state

routes = web.RouteTableDef()


def _key_view(key: IdentityKey | None, now: float) -> dict[str, object] | None:
    if key is None:
        return None
    return {
        "fingerprint": certs.fingerprint(key.ik),
        "state": key_state(key, now),
        "not_after": key.not_after,
    }


def _view(
    request: web.Request, account: StaffAccount, key: IdentityKey | None, totp: bool, now: float
) -> dict[str, object]:
    presence, _ = request.app[HUB].switchboard.presence(account.id)
    return {
        "id": account.id,
        "username": account.username,
        "role": account.role.value,
        "languages": list(account.languages),
        "capacity": account.capacity,
        "disabled": account.disabled,
        "totp": totp,
        "key": _key_view(key, now),
        "presence": "offline" if account.disabled else presence,
    }


async def _one(request: web.Request, account: StaffAccount) -> web.Response:
    database = request.app[DATABASE]
    key = await database.identity.get(account.id)
    totp = await database.totp.enabled(account.id)
    return web.json_response(_view(request, account, key, totp, time.time()))


def _account_id(request: web.Request) -> int:
    raw = request.match_info["account_id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise ApiError(404, "not_found")
    return int(raw)


async def _target(request: web.Request) -> StaffAccount:
    account = await request.app[DATABASE].accounts.get(_account_id(request))
    if account is None:
        raise ApiError(404, "not_found")
    return account


def _languages(codes: tuple[str, ...]) -> str:
    return ",".join(codes) or "none"


@routes.get("/api/admin/staff")
async def list_staff(request: web.Request) -> web.Response:
    await supervisor(request)
    database = request.app[DATABASE]
    keys = {key.account_id: key for key in await database.identity.all()}
    with_totp = await database.totp.enabled_accounts()
    now = time.time()
    accounts = [
        _view(request, account, keys.get(account.id), account.id in with_totp, now)
        for account in await database.accounts.list()
    ]
    return web.json_response({"accounts": accounts})


@routes.post("/api/admin/staff")
async def create_staff(request: web.Request) -> web.Response:
    me = await supervisor(request)
    config = request.app[CONFIG]
    body = await Body.read(
        request, ("username", "role", "languages", "capacity", "salt", "secret", "iterations")
    )
    username = check_username(body)
    role = check_role(body)
    languages = check_languages(body, request.app[SERVICE].queues, role)
    capacity = check_capacity(body, config)
    salt, secret = _secret(body)
    iterations = kdf_iterations(body, config)
    database = request.app[DATABASE]
    password_hash = await hash_secret(secret, config.password_cost)
    try:
        account = await database.accounts.create(
            username,
            role,
            languages,
            capacity,
            password_hash,
            kdf_salt=salt,
            kdf_iterations=iterations,
        )
    except StoreError as exc:
        if exc.code == "duplicate_username":
            raise ApiError(
                409,
                "username_taken",
                field="username",
                message="This username is taken: choose another.",
            ) from None
        raise
    await record(
        request.app,
        me.username,
        "staff.create",
        f"{role.value} {username} created (languages {_languages(languages)}, capacity {capacity})",
    )
    response = await _one(request, account)
    response.set_status(201)
    return response


def _secret(body: Body) -> tuple[bytes, bytes]:
    try:
        salt = body.data("salt", KDF_SALT_BYTES)
    except ApiError:
        raise bad("salt", "The salt is 16 bytes of base64url.") from None
    try:
        secret = body.data("secret", SECRET_BYTES)
    except ApiError:
        raise bad("secret", "The login secret is 32 bytes of base64url.") from None
    return salt, secret


@routes.post("/api/admin/staff/{account_id}")
async def edit_staff(request: web.Request) -> web.Response:
    me = await supervisor(request)
    target = await _target(request)
    body = await Body.read(request, ("role", "languages", "capacity", "disabled"))
    role = check_role(body) if body.has("role") else None
    new_role = role or target.role
    languages = (
        check_languages(body, request.app[SERVICE].queues, new_role)
        if body.has("languages")
        else None
    )
    if languages is None and new_role is Role.COUNSELLOR and not target.languages:
        raise bad("languages", "A counsellor needs at least one language.")
    capacity = check_capacity(body, request.app[CONFIG]) if body.has("capacity") else None
    disabled = body.flag("disabled") if body.has("disabled") else None
    if target.id == me.id and (role is Role.COUNSELLOR or disabled):
        raise ApiError(
            409, "self", message="You cannot disable your own account or take away your own role."
        )
    database = request.app[DATABASE]
    try:
        account = await database.accounts.update(
            target.id, role=role, languages=languages, capacity=capacity
        )
    except StoreError as exc:
        if exc.code == "not_found":
            raise ApiError(404, "not_found") from None
        raise _last_supervisor(exc) from None
    changes = _changes(target, account)
    if changes:
        await record(request.app, me.username, "staff.edit", f"{target.username}: {changes}")
    if disabled is not None and disabled != target.disabled:
        try:
            await database.accounts.set_disabled(target.id, disabled)
        except StoreError as exc:
            raise _last_supervisor(exc) from None
        if disabled:
            request.app[HUB].take_off_duty(target.id)
        action = "staff.disable" if disabled else "staff.enable"
        what = "disabled and taken off duty" if disabled else "enabled"
        await record(request.app, me.username, action, f"{target.username} {what}")
        account = await database.accounts.get(target.id) or account
    return await _one(request, account)


def _last_supervisor(exc: StoreError) -> Exception:
    """409 ``last_supervisor`` when the change would leave no enabled supervisor (two
    supervisors demoting each other at once: the store checks them one after the
    other); any other database error as it is."""
    if exc.code != "last_supervisor":
        return exc
    return ApiError(
        409,
        "last_supervisor",
        message="This would leave no enabled supervisor: enable or create another first.",
    )


def _changes(before: StaffAccount, after: StaffAccount) -> str:
    parts = []
    if before.role is not after.role:
        parts.append(f"role {before.role.value} -> {after.role.value}")
    if before.languages != after.languages:
        parts.append(f"languages {_languages(before.languages)} -> {_languages(after.languages)}")
    if before.capacity != after.capacity:
        parts.append(f"capacity {before.capacity} -> {after.capacity}")
    return "; ".join(parts)


@routes.post("/api/admin/staff/{account_id}/password")
async def reset_password(request: web.Request) -> web.Response:
    me = await supervisor(request)
    target = await _target(request)
    body = await Body.read(request, ("salt", "secret", "iterations"))
    salt, secret = _secret(body)
    config = request.app[CONFIG]
    iterations = kdf_iterations(body, config)
    database = request.app[DATABASE]
    password_hash = await hash_secret(secret, config.password_cost)
    await database.accounts.reset_login_secret(
        target.id, password_hash, KdfParams(salt, iterations)
    )
    # Its key goes below: its open chats cannot go on, and the core forgets it.
    request.app[HUB].take_off_duty(target.id)
    dropped = await request.app[TRUST].drop(target.id)
    detail = f"{target.username}: password reset, every session ended"
    if dropped is not None:
        detail += f"; identity key {certs.fingerprint(dropped.ik)} dropped"
    await record(request.app, me.username, "staff.password", detail)
    return await _one(request, target)
