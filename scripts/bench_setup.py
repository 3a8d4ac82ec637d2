"""Counsellor accounts for the benchmark, written straight into a server's data directory.

Each account is what ``account add`` and a browser's first sign-in make (a
password hash, a wrapped identity key certified by the development
organisation key), plus a signed-in session whose token the load generator
sends as the cookie, so that a thousand counsellors need no thousand logins
(the login path is not what is measured, and its global rate limit would make
setting up take minutes). Run before the server starts:

    python scripts/bench_setup.py DATA_DIR COUNT LANGUAGES OUT.json
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from pathlib import Path

from crypto.certs import identity_public_key
from crypto.password import SALT_BYTES, derive_password_keys, wrap_seed
from helpline.config import KDF_ITERATIONS_MIN, Config
from helpline.core.staff import Role
from helpline.store.engine import Database
from helpline.store.passwords import hash_secret
from helpline.web.trust import Trust, load_org_key

PASSWORD = "benchmark password, never a real one"


async def prepare(data_dir: Path, count: int, languages: tuple[str, ...]) -> list[str]:
    """``count`` counsellors speaking ``languages``, capacity 1; their session tokens."""
    config = Config(data_dir=data_dir, languages=languages, kdf_iterations=KDF_ITERATIONS_MIN)
    data_dir.mkdir(parents=True, exist_ok=True)  # noqa: ASYNC240 - once, before anything runs
    database = await Database.open(config.effective_database_url)
    try:
        trust = Trust(config, database, load_org_key(config))
        await trust.start()
        # One salt and hash for all: the accounts differ only in name and key.
        salt = secrets.token_bytes(SALT_BYTES)
        keys = derive_password_keys(PASSWORD, salt, config.kdf_iterations)
        password_hash = await hash_secret(keys.login_secret, "min")
        tokens = []
        for number in range(count):
            account = await database.accounts.create(
                f"bench{number}",
                Role.COUNSELLOR,
                languages,
                1,
                password_hash,
                kdf_salt=salt,
                kdf_iterations=config.kdf_iterations,
            )
            seed = secrets.token_bytes(32)
            await trust.register(
                account,
                identity_public_key(seed),
                wrap_seed(seed, keys.wrapping_key),
                replace=False,
            )
            token = await database.sessions.create(account.id, time.time())
            assert token is not None
            tokens.append(token)
        return tokens
    finally:
        await database.close()


def main(argv: list[str]) -> None:
    data_dir, count, languages, out = (
        Path(argv[0]),
        int(argv[1]),
        tuple(argv[2].split(",")),
        argv[3],
    )
    tokens = asyncio.run(prepare(data_dir, count, languages))
    Path(out).write_text(json.dumps(tokens))


if __name__ == "__main__":
    main(sys.argv[1:])
