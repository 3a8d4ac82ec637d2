"""The counsellor workspace (/staff/) in Debian's Chromium, against a real server and
the real seeker page (/).

Counsellors sign in through the workspace as a person would (the page derives the
keys from the password, makes or unwraps the identity key and encrypts every chat);
seekers use the seeker page. The first test runs the server in production mode with
an organisation key the test holds (a supervisor certifies keys through the admin
API), so the PBKDF2 count is the production one (600,000): the workspace refuses
less outside development mode. The others use a development-mode server.
"""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Locator, Page, expect

from crypto import certs
from crypto.encoding import b64u_decode, b64u_encode
from helpline.core.stats import ChatSummary
from helpline.web.keys import DATABASE
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, PageFactory, Screenshot
from tests.browser.test_seeker_page import open_page, send_from_page, shown
from tests.browser.workspace import (
    CHAT_TIMEOUT,
    Supervisor,
    accept_offer,
    chat_panel,
    chat_tab,
    end_chat,
    go_available,
    insert_canned,
    panel_messages,
    send_in_panel,
    sign_in,
    transfer_to_colleague,
    unlock,
)
from tests.e2e.conftest import RunningServer, ServerFactory

ORG_SEED = bytes(range(100, 132))
PRODUCTION_ITERATIONS = 600_000


# -- helpers -------------------------------------------------------------------------


async def staff_page(new_context: ContextFactory, **options: object) -> Page:
    context = await new_context(**options)
    return await context.new_page()


async def seeker_waiting(new_page: PageFactory, server: RunningServer) -> Page:
    """A seeker page that has asked for a chat and waits in the queue."""
    page = await open_page(new_page, server.http, width=420)
    await page.click("#start")
    await expect(page.locator("main")).to_have_attribute("data-state", "waiting")
    return page


async def wait_for_stats(server: RunningServer, count: int) -> list[ChatSummary]:
    """The stored chat summaries once there are ``count`` (they are written in the
    background after a chat ends)."""
    database = server.app[DATABASE]
    for _ in range(100):
        rows = await database.chat_stats.list_all()
        if len(rows) >= count:
            return rows
        await asyncio.sleep(0.1)
    return await database.chat_stats.list_all()


async def same_safety_code(panel: Locator, seeker: Page) -> str:
    """Both sides show the same code, and it is a real one."""
    await expect(seeker.locator("main")).to_have_attribute("data-state", "chat")
    code = panel.locator(".safety-code")
    await expect(code).to_have_text(re.compile(r"\d"))
    text = (await code.text_content() or "").strip()
    await expect(seeker.locator("#safety-code")).to_have_text(text)
    return text


def seeker_note(seeker: Page, key: str) -> Locator:
    """The seeker page's own lines in the conversation (``transferred``...)."""
    return seeker.locator(f'#messages li.system[data-note="{key}"]')


# -- one counsellor, certified while signed in, then a transfer ------------------------


async def test_counsellor_signs_in_gets_certified_and_chats_through_a_transfer(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    new_page: PageFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory(
        org_public_key=b64u_encode(certs.org_public_key(ORG_SEED)),
        kdf_iterations=PRODUCTION_ITERATIONS,
        languages=("en", "de"),
    )
    boss = await Supervisor.start(server, ORG_SEED)
    await boss.publish_revocations()  # the seeker page needs a current list
    await server.add_staff("alex", languages=("en", "de"), identity=False)
    await server.add_staff("blake")  # a key registered, pending until certified
    await boss.certify("blake", "Blake")
    canned_text = "Thank you for writing to us. I am here to listen."
    await boss.add_canned("en", "Welcome", canned_text)
    await boss.add_canned("de", "Willkommen", "Danke, dass du schreibst.")

    # Alex signs in: the workspace makes the key; it waits for certification.
    alex = await staff_page(new_context)
    await sign_in(alex, server.http, "alex")
    key_state = alex.locator("#key-state")
    await expect(key_state).to_have_attribute("data-state", "pending")
    await expect(key_state).to_have_text("Key waiting for certification")
    await expect(alex.locator("#availability")).to_be_disabled()
    row = await boss.key_of("alex")
    assert row["state"] == "pending"
    fingerprint = certs.fingerprint(b64u_decode(row["ik"]))
    await expect(alex.locator("#fingerprint")).to_have_text(fingerprint)
    await expect(alex.locator("#key-help")).to_be_visible()
    await expect(alex.locator("#key-help")).to_contain_text(fingerprint)

    # Asking again before the certificate exists changes nothing.
    await alex.click("#key-check")
    await expect(key_state).to_have_attribute("data-state", "pending")
    # Certified through the admin API; the counsellor asks the workspace to check again
    # (it would also notice by itself within 30 s).
    await boss.certify("alex", "Alex")
    await alex.click("#key-check")
    await expect(key_state).to_have_attribute("data-state", "valid")
    await expect(key_state).to_contain_text("Key valid until")
    await expect(alex.locator("#key-help")).to_be_hidden()
    await expect(alex.locator("#key-check")).to_be_hidden()
    await go_available(alex)

    # A seeker asks; the offer shows in Alex's workspace.
    seeker = await seeker_waiting(new_page, server)
    offer = alex.locator("#offers .offer")
    await expect(offer).to_have_count(1, timeout=CHAT_TIMEOUT)
    await expect(offer.locator("h3")).to_contain_text("English")
    await expect(offer.locator(".transfer-from")).to_have_count(0)
    await expect(alex.locator("#offers .empty")).to_be_hidden()
    await screenshot(alex, "workspace-offer-pending")
    panel_a = await accept_offer(alex)
    await expect(offer).to_have_count(0)
    await expect(panel_a.locator(".alias")).to_have_text("Visitor 1")
    code_a = await same_safety_code(panel_a, seeker)
    await expect(seeker.locator("#counsellor-name")).to_have_text("Alex")

    # Messages both ways, each once and in order.
    await send_from_page(seeker, "Hello? Is anyone there?")
    await expect(panel_messages(panel_a, "theirs")).to_have_text(["Hello? Is anyone there?"])
    await send_in_panel(panel_a, "Yes, I am here. My name is Alex.")
    await send_from_page(seeker, "I do not know where to start.")
    await send_from_page(seeker, "It has been a hard week.")
    await send_in_panel(panel_a, "Start wherever you like.")
    a_texts = ["Yes, I am here. My name is Alex.", "Start wherever you like."]
    s_texts = [
        "Hello? Is anyone there?",
        "I do not know where to start.",
        "It has been a hard week.",
    ]
    await expect(panel_messages(panel_a, "theirs")).to_have_text(s_texts)
    await expect(panel_messages(panel_a, "mine")).to_have_text(a_texts)
    await expect(shown(seeker, "theirs")).to_have_text(a_texts)
    await expect(shown(seeker, "mine")).to_have_text(s_texts)
    await expect(panel_a.locator("li.message.mine").last).to_have_class(re.compile("delivered"))

    # A canned response of the chat's language, edited before it is sent.
    await panel_a.locator("button.canned").click()
    picker = panel_a.locator("dialog.canned-dialog")
    # Alex works in English and German; this chat is in English.
    await expect(picker.locator("button.canned-item")).to_have_text([re.compile("^Welcome")])
    await picker.locator("button.cancel").click()
    await insert_canned(panel_a, "Welcome")
    composer = panel_a.locator("textarea.composer")
    await expect(composer).to_have_value(canned_text)
    await expect(composer).to_be_focused()
    await composer.press("End")
    await composer.type(" Take your time.")
    edited = canned_text + " Take your time."
    await expect(composer).to_have_value(edited)
    await composer.press("Enter")
    a_texts.append(edited)
    await expect(shown(seeker, "theirs")).to_have_text(a_texts)
    await expect(panel_messages(panel_a, "mine")).to_have_text(a_texts)
    await screenshot(alex, "workspace-one-chat")

    # Blake, certified before signing in, takes the chat over.
    blake = await staff_page(new_context)
    await sign_in(blake, server.http, "blake")
    await expect(blake.locator("#key-state")).to_have_attribute("data-state", "valid")
    await go_available(blake)
    await transfer_to_colleague(panel_a, "blake")
    panel_b = await accept_offer(blake, transfer_from="alex")
    await expect(alex.locator("section.chat")).to_have_count(0)
    await expect(alex.locator("#no-chats")).to_be_visible()
    await expect(seeker.locator("#counsellor-name")).to_have_text("Blake")
    code_b = await same_safety_code(panel_b, seeker)
    assert code_b != code_a
    await expect(seeker_note(seeker, "transferred")).to_have_text(
        "You are being passed to another counsellor: Blake."
    )
    await expect(seeker_note(seeker, "transfer_joined")).to_have_count(1)
    await expect(seeker_note(seeker, "transfer_joined")).to_contain_text("Blake has joined")
    await expect(seeker_note(seeker, "transfer_joined")).to_contain_text(code_b)

    # Blake sees none of what Alex read; the seeker keeps the whole conversation.
    await send_in_panel(panel_b, "Hello, I am Blake. Alex asked me to continue.")
    await send_from_page(seeker, "Hi Blake.")
    await expect(panel_messages(panel_b, "theirs")).to_have_text(["Hi Blake."])
    await expect(panel_messages(panel_b, "mine")).to_have_text(
        ["Hello, I am Blake. Alex asked me to continue."]
    )
    shown_to_blake = await panel_b.locator("li.message .text").all_text_contents()
    for text in s_texts + a_texts:
        assert text not in shown_to_blake
    await expect(shown(seeker, "theirs")).to_have_text(
        [*a_texts, "Hello, I am Blake. Alex asked me to continue."]
    )
    await expect(shown(seeker, "mine")).to_have_text([*s_texts, "Hi Blake."])

    # Blake ends the chat with an outcome.
    await end_chat(panel_b, "referred")
    await expect(blake.locator("section.chat")).to_have_count(0)
    await expect(seeker.locator("main")).to_have_attribute("data-state", "ended")
    await expect(seeker.locator("#ended-reason")).to_contain_text("counsellor has ended")
    await expect(blake.locator("#handled-count")).to_have_text("Chats this shift: 1")
    stats = await wait_for_stats(server, 1)
    assert [(s.language, s.end_reason, s.outcome) for s in stats] == [
        ("en", "counsellor_ended", "referred")
    ]


# -- two chats at once -----------------------------------------------------------------


async def test_two_chats_at_once_each_message_in_its_own_chat(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    new_page: PageFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory(languages=("en",))  # development mode
    await server.add_staff("sam", capacity=3)
    sam = await staff_page(new_context, width=1280, height=800)
    await sign_in(sam, server.http, "sam")
    await expect(sam.locator("#capacity option")).to_have_text(["1", "2", "3"])
    await go_available(sam, capacity=2)

    first = await seeker_waiting(new_page, server)
    panel_1 = await accept_offer(sam)
    await same_safety_code(panel_1, first)
    second = await seeker_waiting(new_page, server)
    panel_2 = await accept_offer(sam)
    await same_safety_code(panel_2, second)
    await expect(sam.locator("section.chat")).to_have_count(2)
    await expect(panel_1.locator(".chat-head .alias")).to_have_text("Visitor 1")
    await expect(panel_2.locator(".chat-head .alias")).to_have_text("Visitor 2")
    await expect(chat_panel(sam, "Visitor 2")).to_have_attribute(
        "data-chat-id", await panel_2.get_attribute("data-chat-id") or "?"
    )
    # Capacity 2 reached: a third seeker is not offered.
    third = await seeker_waiting(new_page, server)
    await asyncio.sleep(1)
    await expect(sam.locator("#offers .offer")).to_have_count(0)
    waiting = sam.locator('#queues tr[data-language="en"] .waiting')
    await expect(waiting).to_have_text("1")
    await third.click("#leave-queue")
    await expect(waiting).to_have_text("0", timeout=CHAT_TIMEOUT)

    # Side by side at 1280×800.
    box_1 = await panel_1.bounding_box()
    box_2 = await panel_2.bounding_box()
    assert box_1 is not None
    assert box_2 is not None
    assert box_1["x"] + box_1["width"] <= box_2["x"] + 1, (box_1, box_2)
    assert abs(box_1["y"] - box_2["y"]) < 2
    await expect(panel_1).to_be_in_viewport()
    await expect(panel_2).to_be_in_viewport()

    # Interleaved messages both ways.
    await send_from_page(first, "first: hello")
    await send_from_page(second, "second: hello")
    await send_in_panel(panel_2, "to second: hi")
    await send_in_panel(panel_1, "to first: hi")
    await send_from_page(second, "second: are you there?")
    await send_from_page(first, "first: thanks")
    await send_in_panel(panel_1, "to first: take your time")
    await send_in_panel(panel_2, "to second: yes")
    await send_from_page(first, "first: ok")

    await expect(panel_messages(panel_1, "theirs")).to_have_text(
        ["first: hello", "first: thanks", "first: ok"]
    )
    await expect(panel_messages(panel_1, "mine")).to_have_text(
        ["to first: hi", "to first: take your time"]
    )
    await expect(panel_messages(panel_2, "theirs")).to_have_text(
        ["second: hello", "second: are you there?"]
    )
    await expect(panel_messages(panel_2, "mine")).to_have_text(["to second: hi", "to second: yes"])
    await expect(shown(first, "theirs")).to_have_text(["to first: hi", "to first: take your time"])
    await expect(shown(second, "theirs")).to_have_text(["to second: hi", "to second: yes"])
    await expect(shown(first, "mine")).to_have_text(["first: hello", "first: thanks", "first: ok"])
    await expect(shown(second, "mine")).to_have_text(["second: hello", "second: are you there?"])

    # Unread counts: with chat 1 read and the focus in chat 2, chat 1 gets two messages.
    tab_1 = chat_tab(sam, await panel_1.get_attribute("id") or "?")
    tab_2 = chat_tab(sam, await panel_2.get_attribute("id") or "?")
    await panel_1.locator("textarea.composer").click()
    await expect(tab_1.locator(".unread")).to_be_hidden()
    await panel_2.locator("textarea.composer").click()
    await expect(tab_2.locator(".unread")).to_be_hidden()
    await expect(sam).to_have_title("Helpline workspace")
    await send_from_page(first, "first: one more")
    await send_from_page(first, "first: and another")
    await expect(tab_1.locator(".unread")).to_have_text("2 unread")
    await expect(tab_1.locator(".unread")).to_be_visible()
    await expect(tab_2.locator(".unread")).to_be_hidden()
    await expect(sam).to_have_title(re.compile(r"^\(2\) "))
    await expect(panel_messages(panel_2, "theirs")).to_have_count(2)
    await screenshot(sam, "workspace-two-chats")
    await panel_1.locator("textarea.composer").click()
    await expect(tab_1.locator(".unread")).to_be_hidden()
    await expect(sam).to_have_title("Helpline workspace")
    await send_in_panel(panel_1, "to first: I read them")
    await expect(shown(first, "theirs")).to_have_text(
        ["to first: hi", "to first: take your time", "to first: I read them"]
    )
    await expect(shown(second, "theirs")).to_have_count(2)
    await expect(panel_messages(panel_2, "mine")).to_have_count(2)

    await assert_accessible(sam, "workspace with two chats")


# -- accessibility of the views before the workspace ----------------------------------


async def test_sign_in_page_is_accessible(
    server_factory: ServerFactory, new_context: ContextFactory
) -> None:
    server = await server_factory()  # development mode
    await server.add_staff("sam")
    page = await staff_page(new_context)
    await page.goto(f"{server.http}/staff/")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await expect(page.locator("#username")).to_be_focused()
    await assert_accessible(page, "sign-in view")

    await sign_in(page, server.http, "sam")
    await page.reload()
    await expect(page.locator("main")).to_have_attribute("data-view", "unlock")
    await expect(page.locator("#unlock-username")).to_have_text("sam")
    await expect(page.locator("#unlock-password")).to_be_focused()
    await assert_accessible(page, "unlock view")
    await unlock(page)
