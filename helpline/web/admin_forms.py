"""Checks of administration forms, with messages a supervisor can act on.

Every refusal is 400 ``{"error": "bad_field", "field": <path>, "message":
<one English sentence>}`` (docs/protocol.md §6.7): the page shows the message
next to the field. The same rules as the CLI's.
"""

from __future__ import annotations

from collections.abc import Collection

from helpline.config import KDF_ITERATIONS_MAX, Config
from helpline.core.staff import Role
from helpline.service import Service, SettingError
from helpline.store.accounts import username_problem
from helpline.web.api import ApiError, Body

MAX_LANGUAGES = 32  # a counsellor's languages (the wire's limit on a status frame)


def bad(field: str, message: str) -> ApiError:
    return ApiError(400, "bad_field", field=field, message=message)


def setting_refused(exc: SettingError, prefix: str = "") -> ApiError:
    """A :class:`SettingError` from :mod:`helpline.service` as a form error; ``prefix``
    (``queues.en.``) is cut from the field's path so that it names the request's field."""
    field = exc.field[len(prefix) :] if exc.field.startswith(prefix) else exc.field
    problem = exc.problem
    message = problem[:1].upper() + problem[1:]
    return bad(field, message if message.endswith(".") else message + ".")


def check_username(body: Body) -> str:
    value = body.raw("username")
    problem = username_problem(value)
    if problem is not None:
        raise bad("username", problem)
    assert isinstance(value, str)
    return value


def check_role(body: Body) -> Role:
    value = body.raw("role")
    if value not in (Role.COUNSELLOR.value, Role.SUPERVISOR.value):
        raise bad("role", 'The role is "counsellor" or "supervisor".')
    return Role(str(value))


def check_capacity(body: Body, config: Config) -> int:
    value = body.raw("capacity")
    if type(value) is not int or not 1 <= value <= config.max_capacity:
        raise bad("capacity", f"The capacity is a whole number from 1 to {config.max_capacity}.")
    return value


def check_languages(body: Body, queues: Collection[str], role: Role) -> tuple[str, ...]:
    """Codes of existing queues, each once; at least one for a counsellor."""
    value = body.raw("languages")
    if not isinstance(value, list) or len(value) > MAX_LANGUAGES:
        raise bad("languages", f"The languages are a list of at most {MAX_LANGUAGES} queue codes.")
    codes: list[str] = []
    for i, code in enumerate(value):
        if not isinstance(code, str) or code not in queues:
            raise bad(f"languages[{i}]", f"{str(code)[:16]!r} is not a queue.")
        if code in codes:
            raise bad(f"languages[{i}]", f"{code} is listed twice.")
        codes.append(code)
    if role is Role.COUNSELLOR and not codes:
        raise bad("languages", "A counsellor needs at least one language.")
    return tuple(codes)


def kdf_iterations(body: Body, config: Config) -> int:
    value = body.raw("iterations")
    if type(value) is not int or not config.kdf_iterations <= value <= KDF_ITERATIONS_MAX:
        raise bad(
            "iterations",
            f"The iteration count is from {config.kdf_iterations} to {KDF_ITERATIONS_MAX}.",
        )
    return value


def queue_codes(service: Service) -> tuple[str, ...]:
    return tuple(service.queues)
