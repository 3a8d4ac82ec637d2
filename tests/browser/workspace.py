"""Helpers for driving the counsellor workspace (/staff/) in the browser tests.

The workspace is driven as a person would: clicks and typing, reading what it
shows. Selectors come from counsellor_ui/index.html and js/panels.mjs, header.mjs
and dialogs.mjs:

- views: ``main[data-view=signin|totp|unlock|workspace|signedout]``
- the bar: ``#key-state[data-state]``, ``#fingerprint``, ``#availability[data-status]``,
  ``#capacity``, ``#connection[data-up]``, ``#offers .offer`` (``.transfer-from``,
  ``button.accept``)
- one ``section.chat[data-chat-id][data-state=connecting|open|orphan|ended]`` per chat,
  with ``.alias``, ``.safety-code``, ``li.message.(mine|theirs|note) .text``,
  ``textarea.composer`` and its tools (``button.end``, ``button.transfer``,
  ``button.canned``...), each opening a native ``<dialog>``.
- tabs: ``#chat-tabs [role=tab]`` with ``.unread``.

Also: a supervisor through the admin API (certificates, canned responses), for
servers in production mode with an organisation key the test holds.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.async_api import Locator, Page, expect

from crypto import certs
from crypto.encoding import b64u_decode, b64u_encode
from helpline.core.staff import Role
from tests.e2e.conftest import PASSWORD, RunningServer
from tests.e2e.test_identity_api import Staff, staff

SIGN_IN_TIMEOUT = 20_000  # PBKDF2 at 600,000 iterations takes a moment in the page
CHAT_TIMEOUT = 15_000
DAY = 86_400

__all__ = [
    "CHAT_TIMEOUT",
    "PASSWORD",
    "Supervisor",
    "accept_offer",
    "chat_panel",
    "chat_tab",
    "end_chat",
    "go_available",
    "insert_canned",
    "panel_messages",
    "send_in_panel",
    "sign_in",
    "transfer_to_colleague",
    "unlock",
]


# -- signing in ------------------------------------------------------------------------


async def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Open ``base``/staff/ and sign in; returns once the workspace is connected."""
    await page.goto(f"{base}/staff/")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "workspace", timeout=SIGN_IN_TIMEOUT
    )
    await expect(page.locator("#connection")).to_have_attribute("data-up", "true")


async def unlock(page: Page, password: str = PASSWORD) -> None:
    """From the unlock view (after a reload) back to a connected workspace."""
    await expect(page.locator("main")).to_have_attribute("data-view", "unlock")
    await page.fill("#unlock-password", password)
    await page.click("#unlock-submit")
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "workspace", timeout=SIGN_IN_TIMEOUT
    )
    await expect(page.locator("#connection")).to_have_attribute("data-up", "true")


# -- availability and offers -----------------------------------------------------------


async def go_available(page: Page, capacity: int | None = None) -> None:
    """Choose ``capacity`` (the "Chats at once" select) if given, then go available."""
    button = page.locator("#availability")
    await expect(button).to_be_enabled()
    if capacity is not None:
        await page.select_option("#capacity", str(capacity))
    if await button.get_attribute("data-status") != "available":
        await button.click()
    await expect(button).to_have_attribute("data-status", "available")
    if capacity is not None:
        await expect(page.locator("#capacity")).to_have_value(str(capacity))


async def accept_offer(page: Page, *, transfer_from: str | None = None) -> Locator:
    """Accept the oldest offer; the new chat's panel once its keys are agreed."""
    offer = page.locator("#offers .offer").first
    await expect(offer).to_be_visible(timeout=CHAT_TIMEOUT)
    if transfer_from is not None:
        await expect(offer.locator(".transfer-from")).to_have_text(f"transfer from {transfer_from}")
    chat_id = await offer.get_attribute("data-chat-id")
    assert chat_id, "an offer names its chat"
    await offer.locator("button.accept").click()
    panel = page.locator(f'section.chat[data-chat-id="{chat_id}"]')
    await expect(panel).to_have_attribute("data-state", "open", timeout=CHAT_TIMEOUT)
    return panel


# -- chat panels -----------------------------------------------------------------------


def chat_panel(page: Page, alias_or_index: str | int) -> Locator:
    """A chat's ``section.chat``: by its alias ("Visitor 1") or by its place (0, 1...)."""
    if isinstance(alias_or_index, int):
        return page.locator("section.chat").nth(alias_or_index)
    return page.locator("section.chat").filter(
        has=page.locator(".chat-head .alias").get_by_text(alias_or_index, exact=True)
    )


def chat_tab(page: Page, panel_id: str) -> Locator:
    """The tab of the panel whose element id is ``panel_id`` (``chat-3``)."""
    return page.locator(f'#chat-tabs [role=tab][aria-controls="{panel_id}"]')


def panel_messages(panel: Locator, who: str) -> Locator:
    """The texts shown in a panel: ``who`` is "mine", "theirs" or "note"."""
    return panel.locator(f"li.message.{who} .text")


async def send_in_panel(panel: Locator, text: str) -> None:
    """Type ``text`` into the panel's composer and send it with Enter."""
    composer = panel.locator("textarea.composer")
    await expect(composer).to_be_enabled()
    await composer.fill(text)
    await composer.press("Enter")
    await expect(composer).to_have_value("")


async def insert_canned(panel: Locator, title: str) -> None:
    """Open the panel's canned-response picker and pick the response titled ``title``."""
    await panel.locator("button.canned").click()
    dialog = panel.locator("dialog.canned-dialog")
    await expect(dialog).to_be_visible()
    await dialog.locator("button.canned-item").filter(has_text=title).click()
    await expect(dialog).to_be_hidden()


async def end_chat(panel: Locator, outcome: str) -> None:
    """End through the panel's dialog with ``outcome`` (a code from the server's list)."""
    await panel.locator("button.end").click()
    dialog = panel.locator("dialog.end-dialog")
    await expect(dialog).to_be_visible()
    await dialog.locator("select.outcome").select_option(outcome)
    await dialog.locator("button.end-confirm").click()


async def transfer_to_colleague(panel: Locator, username: str) -> None:
    """Hand the chat to ``username`` through the panel's transfer dialog."""
    await panel.locator("button.transfer").click()
    dialog = panel.locator("dialog.transfer-dialog")
    await expect(dialog).to_be_visible()
    option = dialog.locator(f'select.transfer-to option[value="user:{username}"]')
    await expect(option).to_be_enabled()
    await dialog.locator("select.transfer-to").select_option(f"user:{username}")
    await dialog.locator("button.transfer-confirm").click()
    await expect(dialog).to_be_hidden()


# -- a supervisor through the admin API (production mode) -------------------------------


class Supervisor:
    """A signed-in supervisor speaking to the admin API, holding the org key's seed."""

    def __init__(self, server: RunningServer, person: Staff, org_seed: bytes) -> None:
        self.server = server
        self.person = person
        self.org_seed = org_seed

    @classmethod
    async def start(
        cls, server: RunningServer, org_seed: bytes, username: str = "supervisor"
    ) -> Supervisor:
        return cls(server, await staff(server, username, role=Role.SUPERVISOR), org_seed)

    async def call(self, method: str, path: str, body: Any = None) -> Any:
        status, answer = await self.person.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, answer)
        return answer

    async def key_of(self, username: str) -> dict[str, Any]:
        """``GET /api/admin/keys``: the row of ``username`` (who must have a key)."""
        rows = {row["username"]: row for row in await self.call("GET", "/api/admin/keys")}
        assert username in rows, f"{username} has no registered key: {sorted(rows)}"
        row: dict[str, Any] = rows[username]
        return row

    async def certify(self, username: str, handle: str, days: float = 30) -> dict[str, Any]:
        """Sign a certificate for the key ``username`` registered and upload it."""
        row = await self.key_of(username)
        ik = b64u_decode(row["ik"])
        cert = certs.make_certificate(self.org_seed, ik, int(time.time() + days * DAY), handle)
        answer: dict[str, Any] = await self.call(
            "PUT",
            f"/api/admin/keys/{row['account_id']}/certificate",
            {"cert": b64u_encode(cert)},
        )
        assert answer["state"] == "valid", answer
        return answer

    async def publish_revocations(self, revoked: list[bytes] | None = None) -> dict[str, Any]:
        """Upload a current revocation list (empty by default). Seekers' pages refuse
        to start a chat in production mode until one is published (docs/protocol.md §6.2)."""
        issued = int(time.time())
        listing = certs.make_revocation_list(
            self.org_seed, issued, issued + 30 * DAY, revoked or []
        )
        answer: dict[str, Any] = await self.call(
            "PUT", "/api/admin/revocations", {"list": b64u_encode(listing)}
        )
        return answer

    async def add_canned(self, language: str, title: str, text: str) -> dict[str, Any]:
        answer: dict[str, Any] = await self.call(
            "POST", "/api/admin/canned", {"language": language, "title": title, "text": text}
        )
        return answer
