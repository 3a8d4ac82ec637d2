"""The counsellor workspace at /staff/ (helpline/web/static.py): its own strict CSP,
every asset pinned by SRI, no-store; a server without counsellor_ui/ still starts."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import re
from pathlib import Path

import pytest

from helpline import cli
from helpline.web import static
from tests.e2e.conftest import ServerFactory
from tests.web.conftest import RunningServer, raw

ROOT = Path(__file__).resolve().parents[2]


def sri(body: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode()


def assets(html: str) -> list[tuple[str, str, str]]:
    """(tag, URL, integrity) of every script, style sheet and preload, in order."""
    return re.findall(r'<(script|link)[^>]*?(?:src|href)="([^"]+)" integrity="([^"]+)"', html)


@pytest.fixture
def fake_ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small counsellor_ui/ of our own, so the test does not depend on the real one."""
    root = tmp_path / "counsellor_ui"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text(
        "<!doctype html><title>w</title>\n<!-- helpline:assets -->\n<main></main>\n"
    )
    (root / "staff.css").write_text("main { color: black; }\n")
    (root / "js" / "app.mjs").write_text('import "./ui.mjs";\n')
    (root / "js" / "ui.mjs").write_text("export const x = 1;\n")
    (root / "js" / "ui.test.mjs").write_text("// a test, never served\n")
    monkeypatch.setattr(static, "COUNSELLOR_UI", root)
    return root


async def check_page(server: RunningServer) -> str:
    """The page's headers and every named asset; returns the HTML."""
    answer = await raw(server, "GET", "/staff/")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/html")
    assert answer.headers["Cache-Control"] == "no-store"
    port = server.config.port
    assert answer.headers["Content-Security-Policy"] == (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src 'self' ws://127.0.0.1:{port}; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    )
    assert "X-Frame-Options" not in answer.headers
    html = answer.body.decode()
    named = assets(html)
    urls = [url for _, url, _ in named]
    assert urls[0] == "/static/staff/staff.css"
    assert urls[1] == "/static/vendor/tweetnacl/nacl-fast.min.js"  # before any module
    assert urls[-1] == "/static/staff/js/app.mjs"
    assert f'<script type="module" src="{urls[-1]}"' in html
    assert "/static/seeker/js/delivery.mjs" in urls
    assert "/static/seeker/js/link.mjs" in urls
    assert "/static/crypto/session.mjs" in urls
    shared = {"/static/seeker/js/delivery.mjs", "/static/seeker/js/link.mjs"}
    assert not [u for u in urls if u.startswith("/static/seeker/") and u not in shared]
    for _, url, integrity in named:
        served = await raw(server, "GET", url)
        assert served.status == 200, url
        assert integrity == sri(served.body), url
    assert "<!-- helpline:assets -->" not in html
    return html


async def test_the_workspace_page(server_factory: ServerFactory, fake_ui: Path) -> None:
    server = await server_factory()
    html = await check_page(server)
    urls = [url for _, url, _ in assets(html)]
    assert "/static/staff/js/ui.mjs" in urls
    assert (await raw(server, "GET", "/static/staff/js/ui.test.mjs")).status == 404
    assert (await raw(server, "GET", "/static/staff/index.html")).status == 404
    served = await raw(server, "GET", "/static/staff/js/ui.mjs")
    assert served.body == (fake_ui / "js" / "ui.mjs").read_bytes()
    assert served.headers["Content-Type"].startswith("text/javascript")
    manifest = (await raw(server, "GET", "/static/manifest.json")).json()
    assert manifest["/static/staff/js/app.mjs"] == sri((fake_ui / "js" / "app.mjs").read_bytes())
    # The seeker's page names none of the workspace's files.
    seeker = (await raw(server, "GET", "/")).body.decode()
    assert "/static/staff/" not in seeker


async def test_the_real_workspace_page(server: RunningServer) -> None:
    if not (ROOT / "counsellor_ui" / "js" / "app.mjs").is_file():
        pytest.skip("counsellor_ui/ is not written yet")
    html = await check_page(server)
    for path in (ROOT / "counsellor_ui" / "js").glob("*.mjs"):
        if not path.name.endswith(".test.mjs"):
            assert f"/static/staff/js/{path.name}" in html


async def test_staff_redirects_to_the_page(server: RunningServer) -> None:
    answer = await raw(server, "GET", "/staff")
    assert answer.status == 302
    assert answer.headers["Location"] == "/staff/"


async def test_the_csp_names_wss_behind_a_tls_proxy(
    server_factory: ServerFactory, fake_ui: Path
) -> None:
    server = await server_factory(behind_tls_proxy=True)
    answer = await raw(server, "GET", "/staff/")
    port = server.config.port
    assert (
        f"connect-src 'self' wss://127.0.0.1:{port};" in answer.headers["Content-Security-Policy"]
    )


async def test_without_counsellor_ui_the_server_starts(
    server_factory: ServerFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(static, "COUNSELLOR_UI", tmp_path / "nowhere")
    with caplog.at_level(logging.WARNING, logger="helpline.web.static"):
        server = await server_factory()
    assert "/staff/ is not served" in caplog.text
    assert (await raw(server, "GET", "/staff/")).status == 404
    assert (await raw(server, "GET", "/")).status == 200
    assert "/staff/" not in static.bundle(static.collect())


def test_the_bundle_has_the_workspace(fake_ui: Path, capsys: pytest.CaptureFixture[str]) -> None:
    contents = static.bundle(static.collect())
    assert contents["/staff/"] == static.staff_html(static.collect())
    assert "/static/staff/js/app.mjs" in contents
    assert cli.main(["bundle", "--list"]) == 0
    assert "  /staff/\n" in capsys.readouterr().out


async def test_bundle_check_covers_the_workspace(
    server_factory: ServerFactory, fake_ui: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server = await server_factory()
    assert await asyncio.to_thread(cli.main, ["bundle", "--check", server.http]) == 0
    (fake_ui / "index.html").write_text("<!-- helpline:assets --> changed")
    assert await asyncio.to_thread(cli.main, ["bundle", "--check", server.http]) == 1
    assert "differs: /staff/" in capsys.readouterr().err
