"""Every state of the seeker's page, in English and in Arabic (right to left):
axe-core finds no serious or critical violation, nothing scrolls sideways at
320 px (WCAG 1.4.10, what 200% zoom of a 640 px window is), and screenshots at
360 px and 1280 px go to tests/browser/screenshots/ for people to look at.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from helpline.web.keys import DATABASE
from tests.browser.axe import assert_accessible
from tests.browser.conftest import CounsellorFactory, PageFactory, Screenshot
from tests.e2e.conftest import ServerFactory

WIDTHS = (1280, 360)
MESSAGES = {
    "en": ("Hello, I am here for you. Take your time.", "I don't know where to start."),
    "ar": ("مرحبًا، أنا هنا من أجلك. خذ وقتك.", "لا أعرف من أين أبدأ."),
}
RESOURCES = [
    {"title": "Self-help course", "text": "Eight anonymous online sessions.",
     "url": "https://example.org/course"},
    {"title": "Phone line", "text": "Free and anonymous.", "phone": "0800 123 456"},
]  # fmt: skip


async def check_state(page: Page, screenshot: Screenshot, lang: str, state: str) -> None:
    await expect(page.locator("main")).to_have_attribute("data-state", state)
    await assert_accessible(page, f"the {state} state ({lang})")
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 800})
        await screenshot(page, f"seeker-{state}-{lang}-{width}")
    await page.set_viewport_size({"width": 320, "height": 640})
    overflow = await page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 320, f"the {state} state scrolls sideways at 320 px ({overflow} px)"
    await page.set_viewport_size({"width": 1280, "height": 800})


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_every_state_is_accessible(
    lang: str,
    server_factory: ServerFactory,
    tmp_path: Path,
    new_page: PageFactory,
    counsellor_factory: CounsellorFactory,
    screenshot: Screenshot,
) -> None:
    service = tmp_path / "service.json"
    service.write_text(
        json.dumps(
            {
                "queues": {
                    lang: {"resources": RESOURCES},
                    "fr": {"closed": True, "closed_message": "Fermé.", "resources": RESOURCES},
                }
            }
        ),
        encoding="utf-8",
    )
    server = await server_factory(languages=(lang, "de", "fr"), service_file=service)
    counsellor = await counsellor_factory(server, "Sam", (lang,), available=False)
    page = await new_page(locale=lang)
    await page.goto(f"{server.http}/")
    await expect(page.locator("html")).to_have_attribute("lang", lang)
    await expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    await check_state(page, screenshot, lang, "notice")

    await page.select_option("#language", "fr")
    await check_state(page, screenshot, lang, "closed")
    await page.select_option("#language", lang)

    # Keyboard only from here to the chat: Tab to Start, Enter.
    await page.focus("#fallback")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "start"
    await page.keyboard.press("Enter")
    await expect(page.locator("#position")).not_to_be_empty()
    await check_state(page, screenshot, lang, "waiting")

    await counsellor.set_available()
    await counsellor.accept_next()
    await counsellor.wait_established()
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")
    ours, theirs = MESSAGES[lang]
    await counsellor.send_text(ours)
    await page.keyboard.type(theirs)  # the composer has the focus
    await page.keyboard.press("Enter")
    assert await counsellor.next_text() == theirs
    await counsellor.send_typing(True)
    await expect(page.locator("#typing")).to_be_visible()
    await check_state(page, screenshot, lang, "chat")

    await counsellor.end("support_given")
    await expect(page.locator("#feedback")).to_be_visible()
    await check_state(page, screenshot, lang, "ended")


async def test_messages_are_announced_to_screen_readers(
    server_factory: ServerFactory, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    server = await server_factory()
    counsellor = await counsellor_factory(server)
    page = await new_page()
    await page.goto(f"{server.http}/")
    await page.click("#start")
    await counsellor.accept_next()
    await counsellor.wait_established()
    log = page.locator("#message-log")
    await expect(log).to_have_attribute("role", "log")  # a polite live region
    await expect(page.locator("#announcer")).to_contain_text("counsellor has joined")
    await counsellor.send_text("Hello")
    await expect(log.locator("li.theirs")).to_have_count(1)
    await expect(log).to_have_attribute("aria-labelledby", "messages-label")


async def tab_to(page: Page, element_id: str, most: int = 30) -> None:
    """Press Tab until the element with ``element_id`` has the focus (as a person would)."""
    for _ in range(most):
        if await page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} cannot be reached with Tab")


async def test_keyboard_only_from_start_to_feedback_and_again(
    server_factory: ServerFactory, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    server = await server_factory()
    counsellor = await counsellor_factory(server)
    page = await new_page()
    await page.goto(f"{server.http}/")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    await tab_to(page, "start")
    await page.keyboard.press("Enter")
    await counsellor.accept_next()
    await counsellor.wait_established()
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")
    await page.keyboard.type("typed without a mouse")
    await page.keyboard.press("Enter")
    assert await counsellor.next_text() == "typed without a mouse"

    await tab_to(page, "end-chat")
    await page.keyboard.press("Enter")
    # The confirm step starts on the safe choice: Enter twice does not end the chat.
    assert await page.evaluate("document.activeElement.id") == "end-no"
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "end-yes"
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_have_attribute("data-state", "ended")
    assert await counsellor.wait_ended() == "seeker_left"
    await expect(page.locator("#feedback")).to_be_visible()
    await page.focus("#ended-title")
    await page.keyboard.press("Tab")  # into the radio group
    await page.keyboard.press("ArrowDown")  # arrows choose within the group: "a little"
    await tab_to(page, "feedback-send")
    await page.keyboard.press("Enter")
    await expect(page.locator("#feedback-thanks")).to_be_visible()
    assert await page.evaluate("document.activeElement.id") == "feedback-thanks"
    counts = await server.app[DATABASE].feedback.counts()
    assert [(c.answer, c.count) for c in counts] == [("somewhat", 1)]
    await tab_to(page, "start-again")
    await page.keyboard.press("Enter")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_the_stopped_state_is_accessible(
    lang: str,
    server_factory: ServerFactory,
    new_page: PageFactory,
    counsellor_factory: CounsellorFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory(languages=(lang, "de"))
    counsellor = await counsellor_factory(server, "Sam", (lang,))
    page = await new_page(locale=lang)
    await page.goto(f"{server.http}/")
    await page.click("#start")
    await counsellor.accept_next()
    await counsellor.wait_established()
    await page.click("#code-mismatch")
    await expect(page.locator("#mismatch-confirm")).to_be_visible()
    await assert_accessible(page, f"the safety-code confirm ({lang})")
    await page.click("#mismatch-yes")
    await check_state(page, screenshot, lang, "failed")
