"""``helpline bundle``: the SHA-256 of everything a browser gets from this release.

A release publishes the digest this prints (docs/crypto.md, "What is not
covered"). Anyone can then ask a running server for the same files and compare::

    helpline bundle                  # the digest of this checkout's bundle
    helpline bundle --list           # one "sha256  path" line per file, then the digest
    helpline bundle --check https://helpline.example
                                     # fetch every file from that server, compare

``--check`` reads the file list from the server's ``/static/manifest.json`` and
adds the pages ``/`` and ``/staff/`` (the counsellor workspace); it exits 1
when the server serves anything else (a changed, missing or extra file),
naming each difference.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from typing import Any

from helpline.errors import HelplineError

EXIT_OK = 0
EXIT_DIFFERS = 1
FETCH_TIMEOUT_S = 30.0


def register(commands: Any) -> None:
    bundle = commands.add_parser(
        "bundle",
        help="the SHA-256 of the page and files a browser gets (to publish, or to check)",
    )
    bundle.add_argument("--list", action="store_true", help="print each file's SHA-256 too")
    bundle.add_argument(
        "--check", metavar="URL", help="compare what the server at URL serves with this release"
    )


def main(args: argparse.Namespace) -> int:
    from helpline.web import static  # reads crypto/js, the page and node_modules

    local = static.bundle(static.collect())
    if args.check:
        return _check(args.check.rstrip("/"), local, verbose=args.list)
    if args.list:
        print(static.bundle_listing(local), end="")
    print(static.bundle_digest(local))
    return EXIT_OK


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer other than the file: it does not match


def _fetch(opener: urllib.request.OpenerDirector, url: str) -> bytes | None:
    try:
        with opener.open(url, timeout=FETCH_TIMEOUT_S) as response:
            body: bytes = response.read()
            return body
    except urllib.error.HTTPError:
        return None


def _check(base: str, local: dict[str, bytes], *, verbose: bool) -> int:
    from helpline.web import static

    if not base.startswith(("http://", "https://")):
        raise HelplineError(f"not an http(s) URL: {base}")
    opener = urllib.request.build_opener(_NoRedirect())
    try:
        manifest = _fetch(opener, f"{base}/static/manifest.json")
        if manifest is None:
            raise HelplineError(f"{base}/static/manifest.json did not answer 200")
        served: dict[str, bytes] = {}
        for path in [*static.PAGES, *json.loads(manifest)]:
            body = _fetch(opener, base + path)
            if body is not None:
                served[path] = body
    except (urllib.error.URLError, TimeoutError, ValueError) as exc:
        raise HelplineError(f"cannot read {base}: {exc}") from None
    differences = [
        f"{'missing' if path not in served else 'extra' if path not in local else 'differs'}: "
        f"{path}"
        for path in sorted(set(local) | set(served))
        if local.get(path) != served.get(path)
    ]
    if verbose:
        print(static.bundle_listing(served), end="")
    print(f"served:  {static.bundle_digest(served)}")
    print(f"release: {static.bundle_digest(local)}")
    for line in differences:
        print(line, file=sys.stderr)
    if differences:
        print("the server does NOT serve this release", file=sys.stderr)
        return EXIT_DIFFERS
    print("the server serves exactly this release")
    return EXIT_OK
