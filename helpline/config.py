"""Server configuration: defaults that work with no configuration at all.

Every setting can be given as an environment variable ``HELPLINE_<NAME>``
(upper case); command-line flags of ``python -m helpline serve`` override the
environment. The defaults are the documented values in ``docs/protocol.md``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from crypto.encoding import b64u_decode
from crypto.errors import CryptoError
from helpline.errors import ConfigError
from helpline.langtag import is_tag

DEFAULT_DATA_DIR = Path("var")
KDF_ITERATIONS_MIN = 1000
KDF_ITERATIONS_MAX = 10_000_000


def default_database_url(data_dir: Path = DEFAULT_DATA_DIR) -> str:
    return f"sqlite+aiosqlite:///{data_dir / 'helpline.sqlite3'}"


@dataclass(frozen=True, slots=True)
class Config:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""  # empty: SQLite under data_dir
    log_level: str = "INFO"

    # Queues (one per language code) and matching, docs/protocol.md §4.
    languages: tuple[str, ...] = ("en", "de", "nl", "fi", "sv", "es", "fr", "pl")
    fallback_after_s: float = 300.0
    offer_timeout_s: float = 30.0
    position_interval_s: float = 2.0
    max_capacity: int = 3
    max_waiting: int = 20_000  # seekers in all queues together; more get `queue_full`
    # A counsellor's pause after each chat ends, in seconds (0: none); docs/protocol.md §4.
    wrap_up_s: float = 0.0
    outcomes: tuple[str, ...] = (
        "support_given",
        "referred",
        "resources_sent",
        "abusive",
        "silent",
        "other",
    )

    # Connections and delivery, docs/protocol.md §1, §3, §5.
    resume_grace_s: float = 120.0
    heartbeat_s: float = 20.0
    max_frame_bytes: int = 96 * 1024
    max_payload_bytes: int = 64 * 1024
    window_frames: int = 64
    window_bytes: int = 1024 * 1024
    outbox_frames: int = 1024
    outbox_bytes: int = 4 * 1024 * 1024
    flood_frames_per_s: float = 2000.0
    flood_burst: int = 4000
    max_errors: int = 50
    max_seeker_connections: int = 25_000  # more: HTTP 503 before the upgrade
    join_deadline_s: float = 30.0  # a seeker connection must join or resume by then (4012)

    # Staff sessions and login, docs/protocol.md §6.
    session_idle_s: float = 8 * 3600.0
    # Set when a reverse proxy terminates TLS (aiohttp then sees plain HTTP): the
    # session cookie gets Secure and responses get Strict-Transport-Security.
    behind_tls_proxy: bool = False
    session_check_s: float = 30.0  # open staff WebSockets re-check their session this often
    allowed_origins: tuple[str, ...] = field(default_factory=tuple)
    login_failures_before_lockout: int = 5
    login_lockout_max_s: float = 900.0
    login_global_per_s: float = 20.0
    # Argon2id cost; tests lower it. "interactive" or "moderate" (PyNaCl's presets).
    password_cost: str = "interactive"  # noqa: S105 - a cost preset, not a password
    # PBKDF2-SHA-256 iterations for new login secrets (docs/crypto.md); tests lower it.
    kdf_iterations: int = 600_000

    # The operator's service file (hours, resources, quick exit, embedding; helpline.service).
    # None: data_dir/service.json when it exists, else every queue open all the time.
    service_file: Path | None = None

    # Feedback answers are written to the database this often, in one batch (0: at once),
    # so that when a count changes says nothing about which chat it came from.
    feedback_flush_s: float = 3600.0

    # Supervisors (issue 7): the dashboard, statistics, metrics and the first start.
    service_level_target_s: float = 60.0  # "answered within" for the service level
    dashboard_interval_s: float = 2.0  # the dashboard's figures are pushed at most this often
    metrics_token: str = ""  # bearer token for GET /metrics; empty: /metrics answers 404
    stats_retention_s: float = 86400.0  # per-chat statistics rows are kept this long
    stats_rollup_s: float = 300.0  # per-chat rows are folded into hourly counts this often
    stats_min_count: int = 5  # counts below this are suppressed in history and exports
    setup_token_ttl_s: float = 3600.0  # the first-start link is valid this long

    # The organisation's Ed25519 public key (base64url, 32 bytes), docs/crypto.md.
    # Empty: development mode, with a development key under data_dir (never in production).
    org_public_key: str = ""

    @property
    def effective_database_url(self) -> str:
        return self.database_url or default_database_url(self.data_dir)

    def replace(self, **changes: Any) -> Config:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
        """Build a config from ``HELPLINE_*`` variables, then ``overrides`` (not None)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            raw = env.get(f"HELPLINE_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _convert(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            config = cls(**values)
        except TypeError as exc:
            raise ConfigError(str(exc)) from None
        config.validate()
        return config

    def validate(self) -> None:
        if not 0 < self.port < 65536:
            raise ConfigError(f"port out of range: {self.port}")
        if not self.languages:
            raise ConfigError("at least one language queue is needed")
        for code in self.languages:
            if not is_tag(code):  # BCP 47 in normal form, as a queue added at run time
                raise ConfigError(f"bad language code: {code!r}")
        if self.max_capacity < 1:
            raise ConfigError("max_capacity must be at least 1")
        if not 0 <= self.wrap_up_s <= 3600:
            raise ConfigError("wrap_up_s must be between 0 and 3600 seconds")
        if self.password_cost not in ("interactive", "moderate", "min"):
            raise ConfigError("password_cost must be interactive, moderate or min")
        if not KDF_ITERATIONS_MIN <= self.kdf_iterations <= KDF_ITERATIONS_MAX:
            raise ConfigError(
                f"kdf_iterations must be between {KDF_ITERATIONS_MIN} and {KDF_ITERATIONS_MAX}"
            )
        self._validate_supervision()
        if self.org_public_key:
            try:
                b64u_decode(self.org_public_key, 32)
            except CryptoError:
                raise ConfigError(
                    "org_public_key must be a 32-byte Ed25519 public key in base64url "
                    "(as `python -m helpline keys init-org` prints it)"
                ) from None

    def _validate_supervision(self) -> None:
        """The dashboard, statistics, metrics and first-start settings (issue 7)."""
        ranges = (
            ("service_level_target_s", self.service_level_target_s, 1, 3600),
            ("dashboard_interval_s", self.dashboard_interval_s, 0.25, 60),
            ("stats_retention_s", self.stats_retention_s, 3600, 90 * 86400),
            ("stats_rollup_s", self.stats_rollup_s, 1, 3600),
            ("stats_min_count", self.stats_min_count, 2, 1000),
            ("setup_token_ttl_s", self.setup_token_ttl_s, 60, 7 * 86400),
        )
        for name, value, low, high in ranges:
            if not low <= value <= high:
                raise ConfigError(f"{name} must be between {low} and {high}")
        token = self.metrics_token
        visible = all(c.isascii() and c.isprintable() and not c.isspace() for c in token)
        if token and (len(token) < 16 or not visible):
            # It goes into an Authorization header; a short one can be guessed.
            raise ConfigError("metrics_token must be at least 16 visible ASCII characters")

    @property
    def effective_service_file(self) -> Path | None:
        """The service file to read: ``service_file``, else ``data_dir/service.json``
        when it exists, else None (docs/operations.md)."""
        if self.service_file is not None:
            return self.service_file
        default = self.data_dir / "service.json"
        return default if default.is_file() else None

    @property
    def development(self) -> bool:
        """No organisation key configured: the server makes and uses a development key."""
        return not self.org_public_key


_BOOLEANS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _convert(name: str, type_name: object, raw: str) -> Any:
    kind = str(type_name)
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind in ("Path", "Path | None"):
            return Path(raw)
        if kind == "bool":
            if raw.strip().lower() not in _BOOLEANS:
                raise ValueError(raw)
            return _BOOLEANS[raw.strip().lower()]
        if kind.startswith("tuple"):
            return tuple(part.strip() for part in raw.split(",") if part.strip())
        return raw
    except ValueError:
        raise ConfigError(f"HELPLINE_{name.upper()}: cannot read {raw!r}") from None
