"""``helpline bundle``: the release's digest, and checking a server against it."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from helpline import cli
from helpline.web import static
from tests.e2e.conftest import ServerFactory


def test_the_digest_is_the_sha256_of_the_listing(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bundle", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    listing, digest = lines[:-1], lines[-1]
    paths = [line.split("  ", 1)[1] for line in listing]
    assert paths == sorted(paths)
    assert "/" in paths
    assert "/static/seeker/js/app.mjs" in paths
    assert "/static/crypto/hlp1.mjs" in paths
    assert "/static/vendor/tweetnacl/nacl-fast.min.js" in paths
    text = "".join(line + "\n" for line in listing)
    assert digest == hashlib.sha256(text.encode()).hexdigest()


async def test_a_server_serving_this_release_matches(
    server_factory: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await server_factory()
    code = await asyncio.to_thread(cli.main, ["bundle", "--check", server.http])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "serves exactly this release" in out


async def test_a_changed_file_is_named(
    server_factory: ServerFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await server_factory()
    files = server.app[static.STATIC_FILES]
    css = files["/static/seeker/seeker.css"]
    files["/static/seeker/seeker.css"] = static.StaticFile(
        css.body + b"/* injected */", css.content_type, css.integrity
    )
    code = await asyncio.to_thread(cli.main, ["bundle", "--check", server.http])
    captured = capsys.readouterr()
    assert code == 1
    assert "differs: /static/seeker/seeker.css" in captured.err
    assert "does NOT serve this release" in captured.err


def test_check_wants_an_http_url(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bundle", "--check", "file:///etc/passwd"]) == 2
    assert "not an http(s) URL" in capsys.readouterr().err
