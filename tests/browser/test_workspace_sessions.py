"""The counsellor workspace's life cycle in Debian's Chromium: reload mid-chat, TOTP,
closing a chat, and the session ending or being replaced.

The counsellor signs in through the workspace (/staff/) as a person would; the
seeker is the real seeker page (/). Both run against a real development-mode server
(no org key: identity keys are certified at once, and the workspace accepts the
test suite's low PBKDF2 iteration count).
"""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import pyotp
from playwright.async_api import BrowserContext, Page, expect

from crypto.encoding import b64u_decode
from tests.browser.conftest import ContextFactory, PageFactory
from tests.e2e.conftest import PASSWORD, RunningServer

RELOAD_KEY = "helpline.staff.reload"
SOUND_KEY = "helpline.staff.sound"  # the sound on/off choice, kept across shifts
CHAT_TIMEOUT = 15_000

# -- helpers -------------------------------------------------------------------------


async def staff_page(context: BrowserContext, server: RunningServer) -> Page:
    page = await context.new_page()
    await page.goto(f"{server.http}/staff/")
    return page


async def sign_in(page: Page, username: str, password: str = PASSWORD) -> None:
    """From the sign-in view to a connected workspace (no second factor)."""
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute("data-view", "workspace")
    await expect(page.locator("#connection")).to_have_attribute("data-up", "true")


async def unlock(page: Page, password: str = PASSWORD) -> None:
    await expect(page.locator("main")).to_have_attribute("data-view", "unlock")
    await page.fill("#unlock-password", password)
    await page.click("#unlock-submit")
    await expect(page.locator("main")).to_have_attribute("data-view", "workspace")
    await expect(page.locator("#connection")).to_have_attribute("data-up", "true")


async def go_available(page: Page) -> None:
    await page.click("#availability")
    await expect(page.locator("#availability")).to_have_attribute("data-status", "available")


async def open_seeker(new_page: PageFactory, server: RunningServer) -> Page:
    page = await new_page(width=400, height=800)
    await page.goto(f"{server.http}/")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    await page.select_option("#language", "en")
    return page


async def start_chat(staff: Page, seeker: Page) -> str:
    """The seeker starts, the counsellor accepts the offer; both sides verified.
    Returns the chat id the panel is bound to."""
    await seeker.click("#start")
    accept = staff.locator("#offers .offer button.accept")
    await expect(accept).to_be_visible(timeout=CHAT_TIMEOUT)
    await accept.click()
    panel = staff.locator("section.chat[data-state=open]")
    await expect(panel).to_have_count(1, timeout=CHAT_TIMEOUT)
    await expect(seeker.locator("main")).to_have_attribute("data-state", "chat")
    chat_id = await panel.get_attribute("data-chat-id")
    assert chat_id
    return chat_id


async def seeker_says(seeker: Page, text: str) -> None:
    await seeker.fill("#composer", text)
    await seeker.press("#composer", "Enter")


async def counsellor_says(staff: Page, text: str) -> None:
    composer = staff.locator("section.chat textarea.composer")
    await composer.fill(text)
    await composer.press("Enter")


def conversation(staff: Page) -> Any:
    """The panel's messages both ways (not the workspace's own notes), in order."""
    return staff.locator("section.chat li.message:is(.mine, .theirs) .text")


def seeker_sees(seeker: Page, who: str) -> Any:
    return seeker.locator(f"#messages li.message.{who} .text")


async def storage(page: Page, which: str = "sessionStorage") -> dict[str, str]:
    return dict(await page.evaluate(f"Object.fromEntries(Object.entries(window.{which}))"))


def assert_holds_none(where: str, stored: dict[str, str], secrets: list[str]) -> None:
    for key, value in stored.items():
        for secret in secrets:
            assert secret not in key, f"{where} has a key with {secret!r}: {key!r}"
            assert secret not in value, f"{where} holds {secret!r} in clear under {key!r}"


# -- 1. reload mid-chat ------------------------------------------------------------------


async def test_reload_mid_chat_resumes_without_loss(
    server: RunningServer, new_context: ContextFactory, new_page: PageFactory
) -> None:
    await server.add_staff("sam")
    staff = await staff_page(await new_context(), server)
    await sign_in(staff, "sam")
    await go_available(staff)
    seeker = await open_seeker(new_page, server)
    chat_id = await start_chat(staff, seeker)

    before = ["I keep thinking about it", "I am here with you", "It started last winter"]
    await seeker_says(seeker, before[0])
    await expect(conversation(staff)).to_have_text(before[:1])
    await counsellor_says(staff, before[1])
    await expect(seeker_sees(seeker, "theirs")).to_have_text(before[1:2])
    await seeker_says(seeker, before[2])
    await expect(conversation(staff)).to_have_text(before)
    # While the chat is open nothing of it is in the tab's storage.
    secrets = [*before, chat_id]
    assert_holds_none("sessionStorage (open chat)", await storage(staff), secrets)

    # Reload: pagehide seals the chats into one blob; the new page is locked.
    await staff.reload()
    await expect(staff.locator("main")).to_have_attribute("data-view", "unlock")
    locked = await storage(staff)
    assert RELOAD_KEY in locked, f"no reload blob after pagehide: {locked}"
    blob = locked[RELOAD_KEY]
    assert_holds_none("sessionStorage (locked)", locked, secrets)
    raw = b64u_decode(blob)
    for secret in secrets:
        assert secret.encode() not in raw, f"the sealed blob holds {secret!r} in clear"
    assert b'"chats"' not in raw, "the blob is not sealed"
    assert b"transcript" not in raw, "the blob is not sealed"

    # While the counsellor is locked out the seeker goes on writing.
    during = ["Are you still there?", "Please answer when you can"]
    for text in during:
        await seeker_says(seeker, text)
    await expect(seeker_sees(seeker, "mine")).to_have_text([before[0], before[2], *during])

    await unlock(staff)
    await expect(staff.locator("section.chat")).to_have_count(1)
    panel = staff.locator("section.chat")
    await expect(panel).to_have_attribute("data-chat-id", chat_id)
    await expect(panel).to_have_attribute("data-state", "open", timeout=CHAT_TIMEOUT)
    everything = [*before, *during]
    await expect(conversation(staff)).to_have_text(everything, timeout=CHAT_TIMEOUT)
    await asyncio.sleep(1.5)  # a late duplicate would show up by now
    await expect(conversation(staff)).to_have_text(everything)
    unlocked = await storage(staff)
    assert RELOAD_KEY not in unlocked, "the reload blob stayed after unlocking"
    assert_holds_none("sessionStorage (unlocked)", unlocked, secrets + during)

    reply = "Yes, I am still here."
    await counsellor_says(staff, reply)
    await expect(seeker_sees(seeker, "theirs")).to_have_text([before[1], reply])
    await expect(staff.locator("section.chat li.message.mine").last).to_have_class(
        "message mine delivered"
    )
    await expect(conversation(staff)).to_have_text([*everything, reply])


# -- 2. TOTP ---------------------------------------------------------------------------


async def test_totp_enrolment_and_sign_in_with_a_real_code(
    server: RunningServer, new_context: ContextFactory
) -> None:
    await server.add_staff("noor")
    staff = await staff_page(await new_context(), server)
    await sign_in(staff, "noor")

    await staff.click("#settings-toggle")
    await expect(staff.locator("#settings")).to_be_visible()
    await expect(staff.locator("#totp-state")).to_have_attribute("data-totp", "false")
    # The session alone does not do: the password is asked for, and a wrong one refused.
    await staff.click("#totp-enrol")
    await expect(staff.locator("#totp-message")).to_contain_text("password")
    await expect(staff.locator("#totp-setup")).to_be_hidden()
    await staff.fill("#totp-password", "not the password")
    await staff.click("#totp-enrol")
    await expect(staff.locator("#totp-message")).to_contain_text("Wrong password")
    await expect(staff.locator("#totp-setup")).to_be_hidden()
    await expect(staff.locator("#totp-password")).to_have_value("")
    await staff.fill("#totp-password", PASSWORD)
    await staff.click("#totp-enrol")
    await expect(staff.locator("#totp-setup")).to_be_visible()
    await expect(staff.locator("#totp-password")).to_have_value("")
    secret_node = staff.locator("#totp-secret")
    await expect(secret_node).to_have_text(re.compile(r"^[A-Z2-7]{32}$"))
    secret = (await secret_node.text_content() or "").strip()
    assert len(secret) == 32, secret
    await staff.wait_for_function(
        "() => { const i = document.getElementById('totp-qr');"
        " return i.complete && i.naturalWidth > 0; }"
    )
    qr_src = await staff.evaluate("document.getElementById('totp-qr').src")
    assert qr_src.startswith(f"{server.http}/"), f"the QR code is not from this origin: {qr_src}"
    assert secret not in qr_src

    await staff.fill("#totp-confirm-code", pyotp.TOTP(secret).now())
    await staff.fill("#totp-password", PASSWORD)
    await staff.click("#totp-confirm")
    await expect(staff.locator("#totp-state")).to_have_attribute("data-totp", "true")
    await expect(staff.locator("#totp-message")).to_contain_text("now on")
    await expect(staff.locator("#totp-secret")).to_have_text("")

    await staff.click("#signout")
    await expect(staff.locator("main")).to_have_attribute("data-view", "signedout")
    await staff.click("#signin-again")
    await expect(staff.locator("main")).to_have_attribute("data-view", "signin")
    await staff.fill("#username", "noor")
    await staff.fill("#password", PASSWORD)
    await staff.click("#signin-submit")
    await expect(staff.locator("main")).to_have_attribute("data-view", "totp")

    now = time.time()
    near = {pyotp.TOTP(secret).at(now + k * 30) for k in range(-2, 4)}
    wrong = next(f"{n:06d}" for n in range(123456, 10**6) if f"{n:06d}" not in near)
    await staff.fill("#totp-code", wrong)
    await staff.click("#totp-submit")
    await expect(staff.locator("#totp-error")).to_be_visible()
    await expect(staff.locator("#totp-error")).to_contain_text("not accepted")
    await expect(staff.locator("main")).to_have_attribute("data-view", "totp")

    # The confirm used this step's code (used once); the next step's is in the window.
    await staff.fill("#totp-code", pyotp.TOTP(secret).at(time.time() + 30))
    await staff.click("#totp-submit")
    await expect(staff.locator("main")).to_have_attribute("data-view", "workspace")
    await expect(staff.locator("#connection")).to_have_attribute("data-up", "true")
    await expect(staff.locator("#me")).to_have_text("noor")
    await expect(staff.locator("#totp-state")).to_have_attribute("data-totp", "true")


# -- 3. closing a chat --------------------------------------------------------------------


async def test_closed_chat_leaves_nothing_behind(
    server: RunningServer, new_context: ContextFactory, new_page: PageFactory
) -> None:
    await server.add_staff("sam")
    staff = await staff_page(await new_context(), server)
    await sign_in(staff, "sam")
    await expect(staff.locator("#handled-count")).to_have_text("Chats this shift: 0")
    await go_available(staff)
    seeker = await open_seeker(new_page, server)
    chat_id = await start_chat(staff, seeker)

    texts = ["my flatmate must never know", "Nobody will know from me", "thank you, bye"]
    await seeker_says(seeker, texts[0])
    await expect(conversation(staff)).to_have_text(texts[:1])
    await counsellor_says(staff, texts[1])
    await expect(seeker_sees(seeker, "theirs")).to_have_text(texts[1:2])
    await seeker_says(seeker, texts[2])
    await expect(conversation(staff)).to_have_text(texts)

    # The seeker leaves: the panel stays (ended) until the counsellor closes it.
    await seeker.click("#end-chat")
    await seeker.click("#end-yes")
    panel = staff.locator(f"section.chat[data-chat-id='{chat_id}']")
    await expect(panel).to_have_attribute("data-state", "ended", timeout=CHAT_TIMEOUT)
    await expect(panel.locator(".ended-note")).to_have_text("The visitor left the chat.")
    await expect(staff.locator("#handled-count")).to_have_text("Chats this shift: 1")
    await panel.locator("button.close-chat").click()
    await expect(staff.locator("section.chat")).to_have_count(0)
    await expect(staff.locator("#chat-tabs [role=tab]")).to_have_count(0)
    await expect(staff.locator("#no-chats")).to_be_visible()

    await asyncio.sleep(0.2)  # past the announcer's 50 ms write
    secrets = [*texts, chat_id]
    html = await staff.content()
    for secret in secrets:
        assert secret not in html, f"the page still holds {secret!r} after Close"
    assert_holds_none("sessionStorage", await storage(staff), secrets)
    assert_holds_none("localStorage", await storage(staff, "localStorage"), secrets)
    assert RELOAD_KEY not in await storage(staff)
    await expect(staff.locator("#handled-count")).to_have_text("Chats this shift: 1")

    # Signing out: the tab keeps nothing of the shift.
    await staff.click("#signout")
    await expect(staff.locator("main")).to_have_attribute("data-view", "signedout")
    assert await storage(staff) == {}
    assert set(await storage(staff, "localStorage")) <= {SOUND_KEY}
    html = await staff.content()
    for secret in secrets:
        assert secret not in html, f"the page still holds {secret!r} after sign-out"


async def test_own_end_leaves_no_message_text_in_the_page(
    server: RunningServer, new_context: ContextFactory, new_page: PageFactory
) -> None:
    """Ending the chat from the workspace removes the panel at once: the screen
    reader's live region must not keep the last message either."""
    await server.add_staff("sam")
    staff = await staff_page(await new_context(), server)
    await sign_in(staff, "sam")
    await go_available(staff)
    seeker = await open_seeker(new_page, server)
    await start_chat(staff, seeker)
    text = "the last thing I said before it ended"
    await seeker_says(seeker, text)
    await expect(conversation(staff)).to_have_text([text])

    await staff.locator("section.chat button.end").click()
    await staff.click("dialog.end-dialog[open] button.end-confirm")
    await expect(staff.locator("section.chat")).to_have_count(0, timeout=CHAT_TIMEOUT)
    await expect(seeker.locator("main")).to_have_attribute("data-state", "ended")
    await asyncio.sleep(0.2)
    assert text not in await staff.content(), "the message text stayed in the page"


# -- 4. the session ends, or another tab takes over -------------------------------------


async def test_session_end_and_replacement(
    server: RunningServer, new_context: ContextFactory
) -> None:
    await server.add_staff("sam")
    context = await new_context()
    first = await staff_page(context, server)
    await sign_in(first, "sam")

    # Another tab of the same browser (same session cookie) signs out from its unlock view.
    other = await staff_page(context, server)
    await expect(other.locator("main")).to_have_attribute("data-view", "unlock")
    await other.click("#unlock-signout")
    await expect(other.locator("main")).to_have_attribute("data-view", "signedout")
    # The first tab's socket is closed with 4001: back to sign-in, with a message.
    await expect(first.locator("main")).to_have_attribute("data-view", "signin")
    await expect(first.locator("#signin-message")).to_be_visible()
    await expect(first.locator("#signin-message")).to_contain_text("session has ended")
    await expect(first.locator("#bar")).to_be_hidden()
    assert await storage(first) == {}
    await other.close()

    # Signed in again; a second tab opens the workspace and unlocks: the first is replaced.
    await sign_in(first, "sam")
    second = await staff_page(context, server)
    await unlock(second)
    await expect(first.locator("main")).to_have_attribute("data-view", "signedout")
    await expect(first.locator("#signedout-message")).to_contain_text(
        "opened in another tab or window"
    )
    await expect(first.locator("#bar")).to_be_hidden()
    assert await storage(first) == {}
    # The new tab goes on working.
    await expect(second.locator("#connection")).to_have_attribute("data-up", "true")
    await asyncio.sleep(1)
    await expect(second.locator("main")).to_have_attribute("data-view", "workspace")
    await expect(second.locator("#connection")).to_have_attribute("data-up", "true")
