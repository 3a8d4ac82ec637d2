"""The seeker's page in Debian's Chromium, against a real server and a counsellor.

The counsellor is the Python client library with the Python HLP1 session
(tests/browser/counsellor.py). Each test drives the page as a person would
(clicks, typing, keys) and reads what the page shows, what it sent over its
WebSocket, what it requested and what it left in the browser.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from playwright.async_api import Page, expect

from crypto.encoding import b64u_decode
from helpline.web.keys import DATABASE
from tests.browser.conftest import (
    CounsellorFactory,
    PageFactory,
    ProxyFactory,
)
from tests.browser.recorder import PageRecorder
from tests.e2e.conftest import RunningServer, ServerFactory

HEADER = 27  # an HLP1 data frame's header; the rest is one padding bucket
BUCKETS = {256, 1024, 4096, 16384}
HANDSHAKE_KINDS = {"hello", "accept", "reveal"}


# -- helpers -------------------------------------------------------------------------


async def open_page(new_page: PageFactory, base: str, **options: Any) -> Page:
    page = await new_page(**options)
    await page.goto(f"{base}/")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    return page


async def start_chat(page: Page, counsellor: Any) -> None:
    """Start in the page, accept as the counsellor, wait until both sides are verified."""
    await page.click("#start")
    await counsellor.accept_next()
    await counsellor.wait_established()
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")


async def send_from_page(page: Page, text: str) -> None:
    await page.fill("#composer", text)
    await page.press("#composer", "Enter")


async def chat_through_proxy(
    server: RunningServer,
    new_page: PageFactory,
    proxy_factory: ProxyFactory,
    counsellor_factory: CounsellorFactory,
) -> tuple[Any, Any, Page]:
    """A chat whose page reaches the server through a proxy the test can cut."""
    counsellor = await counsellor_factory(server)
    proxy = await proxy_factory(server)
    page = await open_page(new_page, proxy.http)
    await start_chat(page, counsellor)
    return counsellor, proxy, page


def shown(page: Page, who: str) -> Any:
    return page.locator(f"#messages li.message.{who} .text")


def relay_payloads(recorder: PageRecorder) -> list[tuple[str, bytes]]:
    """(direction, payload bytes) of every relay frame the page sent or received."""
    found = []
    for frame in recorder.frames:
        assert isinstance(frame.payload, str), "the page only ever uses text frames"
        body = json.loads(frame.payload)
        if body.get("type") == "relay":
            found.append((frame.direction, b64u_decode(body["payload"])))
    return found


def assert_only_ciphertext(recorder: PageRecorder, plaintexts: list[str]) -> None:
    """No text appears in any frame, and every relay holds HLP1: a handshake message
    or a data frame of exactly one padding bucket."""
    payloads = relay_payloads(recorder)
    assert {"sent", "received"} <= {direction for direction, _ in payloads}
    for frame in recorder.frames:
        assert isinstance(frame.payload, str)
        for text in plaintexts:
            assert text not in frame.payload
    for _, payload in payloads:
        for text in plaintexts:
            assert text.encode() not in payload
        if payload[:1] == b"{":
            assert json.loads(payload)["kind"] in HANDSHAKE_KINDS
        else:
            assert len(payload) - HEADER in BUCKETS


def write_service_file(path: Path, **settings: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings), encoding="utf-8")
    return path


# -- a whole conversation --------------------------------------------------------------


async def test_whole_conversation_server_sees_only_ciphertext(
    server: RunningServer,
    new_page: PageFactory,
    recorder: Any,
    counsellor_factory: CounsellorFactory,
) -> None:
    counsellor = await counsellor_factory(server, "Sam")
    page = await open_page(new_page, server.http)
    rec = recorder(page)
    await start_chat(page, counsellor)

    # The verified counsellor, with the same safety code on both sides.
    await expect(page.locator("#counsellor-name")).to_have_text("Sam")
    await expect(page.locator("#safety-code")).to_have_text(counsellor.safety_code or "-")

    # Typing both ways.
    await counsellor.send_typing(True)
    await expect(page.locator("#typing")).to_be_visible()
    await page.type("#composer", "I have")
    assert await counsellor.next_typing() is True

    seeker_texts = ["I have never told anyone this.", "Thank you for listening. 🙏 Ünïcödé"]
    counsellor_texts = [
        "Hello, I am Sam. You can write whatever you need.",
        '<img src=x onerror="document.title=1"> <b>markup</b> stays text',
    ]
    await page.fill("#composer", "")
    await counsellor.send_text(counsellor_texts[0])
    await expect(shown(page, "theirs")).to_have_text(counsellor_texts[:1])
    await expect(page.locator("#typing")).to_be_hidden()
    await send_from_page(page, seeker_texts[0])
    assert await counsellor.next_text() == seeker_texts[0]
    await counsellor.send_text(counsellor_texts[1])
    await send_from_page(page, seeker_texts[1])
    assert await counsellor.next_text() == seeker_texts[1]
    await expect(shown(page, "theirs")).to_have_text(counsellor_texts)
    await expect(shown(page, "mine")).to_have_text(seeker_texts)
    assert await page.locator("#messages img, #messages b").count() == 0
    await expect(page.locator("#messages .status").last).to_have_text("Delivered")

    # Too long for one HLP1 message: refused in the page, nothing sent.
    await page.fill("#composer", "x" * 17_000)
    await expect(page.locator("#composer-note")).to_contain_text("too long")
    await page.press("#composer", "Enter")
    await expect(shown(page, "mine")).to_have_count(2)

    # The counsellor ends: resources and the one-question feedback.
    await counsellor.end("support_given")
    await expect(page.locator("main")).to_have_attribute("data-state", "ended")
    await expect(page.locator("#ended-reason")).to_contain_text("counsellor has ended")
    await expect(page.locator("#feedback")).to_be_visible()
    await page.check("input[name=answer][value=helpful]")
    await page.click("#feedback-send")
    await expect(page.locator("#feedback-thanks")).to_be_visible()
    counts = await server.app[DATABASE].feedback.counts()
    assert [(c.language, c.answer, c.count) for c in counts] == [("en", "helpful", 1)]
    assert await page.evaluate("sessionStorage.length") == 0

    assert_only_ciphertext(rec, seeker_texts + counsellor_texts + ["I have"])
    assert rec.foreign_requests(server.http) == []
    assert await page.evaluate("document.cookie") == ""


async def test_network_cut_mid_chat_loses_and_doubles_nothing(
    server: RunningServer,
    new_page: PageFactory,
    proxy_factory: ProxyFactory,
    counsellor_factory: CounsellorFactory,
) -> None:
    counsellor, proxy, page = await chat_through_proxy(
        server, new_page, proxy_factory, counsellor_factory
    )
    await counsellor.send_text("one")
    await send_from_page(page, "a")
    assert await counsellor.next_text() == "a"
    await expect(shown(page, "theirs")).to_have_text(["one"])

    await proxy.cut()
    await expect(page.locator("#reconnecting")).to_be_visible()
    # Both sides go on writing while the seeker is away.
    await counsellor.send_text("two")
    await counsellor.send_text("three")
    await send_from_page(page, "b")
    await send_from_page(page, "c")
    await expect(shown(page, "mine")).to_have_text(["a", "b", "c"])
    await expect(page.locator("#messages .status").last).to_have_text("Sending…")
    await page.wait_for_timeout(1500)  # a few reconnection attempts meet the cut
    proxy.restore()

    await expect(page.locator("#reconnecting")).to_be_hidden(timeout=15_000)
    assert await counsellor.next_text() == "b"
    assert await counsellor.next_text() == "c"
    await expect(shown(page, "theirs")).to_have_text(["one", "two", "three"])
    await counsellor.send_text("four")
    await send_from_page(page, "d")
    assert await counsellor.next_text() == "d"
    await expect(shown(page, "theirs")).to_have_text(["one", "two", "three", "four"])
    await expect(page.locator("#messages .status").last).to_have_text("Delivered")
    assert counsellor.texts == ["a", "b", "c", "d"]
    assert proxy.resets >= 1


async def test_reload_mid_chat_resumes_with_a_new_key_exchange(
    server: RunningServer, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    counsellor = await counsellor_factory(server)
    page = await open_page(new_page, server.http)
    await start_chat(page, counsellor)
    await send_from_page(page, "before")
    assert await counsellor.next_text() == "before"

    await page.reload()
    for _ in range(100):  # the re-hello's new epoch
        if len(counsellor.established) == 2:
            break
        await asyncio.sleep(0.1)
    assert len(counsellor.established) == 2
    assert counsellor.established[1].same_person is True  # the continuity tag from sessionStorage
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")
    await counsellor.send_text("after")
    await expect(shown(page, "theirs")).to_have_text(["after"])
    await send_from_page(page, "still me")
    assert await counsellor.next_text() == "still me"


# -- quick exit ------------------------------------------------------------------------


async def test_quick_exit_leaves_no_trace(
    server_factory: ServerFactory,
    tmp_path: Path,
    new_page: PageFactory,
    neutral_site: Any,
    counsellor_factory: CounsellorFactory,
) -> None:
    service = write_service_file(tmp_path / "service.json", quick_exit_url=neutral_site.url)
    server = await server_factory(service_file=service)
    counsellor = await counsellor_factory(server)
    page = await open_page(new_page, server.http)
    await start_chat(page, counsellor)
    await send_from_page(page, "someone is coming")
    assert await counsellor.next_text() == "someone is coming"
    assert await page.evaluate("sessionStorage.length") == 0  # written only on pagehide

    await page.keyboard.press("Escape")
    await page.keyboard.press("Escape")
    await page.wait_for_url(neutral_site.url)
    assert await counsellor.wait_ended() == "seeker_left"

    # Back does not return to the chat (location.replace), and nothing is kept.
    await page.go_back()
    assert not page.url.startswith(server.http)
    assert await page.context.cookies() == []
    await page.goto(f"{server.http}/healthz")  # the same tab, the helpline's origin
    storage = await page.evaluate(
        "async () => [sessionStorage.length, localStorage.length,"
        " (await indexedDB.databases()).length]"
    )
    assert storage == [0, 0, 0]


async def test_quick_exit_button_while_waiting(
    server_factory: ServerFactory, tmp_path: Path, new_page: PageFactory, neutral_site: Any
) -> None:
    service = write_service_file(tmp_path / "service.json", quick_exit_url=neutral_site.url)
    server = await server_factory(service_file=service)
    page = await open_page(new_page, server.http)
    await page.click("#start")
    await expect(page.locator("#position")).to_have_text("You are next.")
    await page.click("#quick-exit")
    await page.wait_for_url(neutral_site.url)
    assert server.hub.switchboard.waiting_count() == 0  # left the queue at once


# -- closed queues ---------------------------------------------------------------------


async def test_out_of_hours_queue_shows_when_it_opens_and_resources(
    server_factory: ServerFactory, tmp_path: Path, new_page: PageFactory
) -> None:
    # Open at noon two days from now (Amsterdam time), so closed now; the page shows
    # the opening in the browser's time zone (UTC here), the same weekday.
    opening_day = datetime.now(ZoneInfo("Europe/Amsterdam")) + timedelta(days=2)
    weekday = opening_day.strftime("%a").lower()
    service = write_service_file(
        tmp_path / "service.json",
        time_zone="Europe/Amsterdam",
        queues={
            "en": {
                "hours": {weekday: [["12:00", "13:00"]]},
                "closed_message": "We answer once a week.",
                "resources": [
                    {"title": "Self-help course", "text": "At your own pace.",
                     "url": "https://example.org/course"},
                    {"title": "Phone line", "text": "<b>Free</b> and anonymous.",
                     "phone": "0800 123 456"},
                ],
            }
        },
    )  # fmt: skip
    server = await server_factory(service_file=service)
    page = await new_page()
    await page.goto(f"{server.http}/")
    await expect(page.locator("main")).to_have_attribute("data-state", "closed")
    await expect(page.locator("#start")).to_be_hidden()
    await expect(page.locator("#opens-at")).to_contain_text(opening_day.strftime("%A"))
    await expect(page.locator("#closed-message")).to_have_text("We answer once a week.")
    await expect(page.locator("#closed-resources li")).to_have_count(2)
    await expect(page.locator("#closed-resources a.title")).to_have_attribute(
        "href", "https://example.org/course"
    )
    await expect(page.locator("#closed-resources")).to_contain_text("<b>Free</b> and anonymous.")
    phone = page.locator("#closed-resources a[href^='tel:']")
    await expect(phone).to_have_text("0800 123 456")
    await expect(phone).to_have_attribute("href", "tel:0800123456")
    # Another language that is open can be chosen.
    await page.select_option("#language", "de")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    await expect(page.locator("#start")).to_be_visible()


# -- bad input: an unverifiable counsellor, a wrong safety code -------------------------


async def test_certificate_from_another_organisation_stops_the_chat(
    server: RunningServer, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    from crypto.certs import make_certificate
    from crypto.primitives import ed25519_public, random_bytes

    counsellor = await counsellor_factory(server, "mallory")
    # A certificate for the counsellor's own key, signed by an organisation key the
    # page does not pin.
    counsellor.cert = make_certificate(
        random_bytes(32), ed25519_public(counsellor.seed), int(time.time()) + 86_400, "mallory"
    )
    page = await open_page(new_page, server.http)
    await page.click("#start")
    await counsellor.accept_next()
    await expect(page.locator("main")).to_have_attribute("data-state", "failed")
    await expect(page.locator("#failed-reason")).to_contain_text("could not verify")
    assert await counsellor.wait_ended() == "seeker_left"
    assert counsellor.texts == []


async def test_safety_code_mismatch_stops_the_chat(
    server: RunningServer, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    counsellor = await counsellor_factory(server)
    page = await open_page(new_page, server.http)
    await start_chat(page, counsellor)
    await page.click("#code-mismatch")
    await page.click("#mismatch-no")  # a slip of the thumb changes nothing
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")
    await page.click("#code-mismatch")
    await page.click("#mismatch-yes")
    await expect(page.locator("main")).to_have_attribute("data-state", "failed")
    await expect(page.locator("#failed-reason")).to_contain_text("codes do not match")
    assert await counsellor.wait_peer_closed() == "safety_code_mismatch"
    assert await counsellor.wait_ended() == "seeker_left"
    assert await page.evaluate("sessionStorage.length") == 0


# -- embedding -------------------------------------------------------------------------

EMBED = (
    "url => { const f = document.createElement('iframe'); f.src = url; f.title = 'chat';"
    " f.width = 400; f.height = 700; document.body.append(f); }"
)


async def test_page_works_inside_an_iframe_of_an_allowed_origin(
    server_factory: ServerFactory,
    tmp_path: Path,
    new_page: PageFactory,
    neutral_site: Any,
    counsellor_factory: CounsellorFactory,
) -> None:
    service = write_service_file(tmp_path / "service.json", embed_origins=[neutral_site.origin])
    server = await server_factory(service_file=service)
    counsellor = await counsellor_factory(server)
    page = await new_page()
    await page.goto(neutral_site.url)  # the helpline's own website, say
    await page.evaluate(EMBED, f"{server.http}/")
    frame = page.frame_locator("iframe")
    await expect(frame.locator("main")).to_have_attribute("data-state", "notice")
    await frame.locator("#start").click()
    await counsellor.accept_next()
    await counsellor.wait_established()
    await expect(frame.locator("main")).to_have_attribute("data-state", "chat")
    await counsellor.send_text("hello from inside a frame")
    await expect(frame.locator("#messages li.theirs .text")).to_have_text(
        ["hello from inside a frame"]
    )


async def test_page_refuses_to_be_framed_by_other_sites(
    server: RunningServer, new_page: PageFactory, recorder: Any, neutral_site: Any
) -> None:
    page = await new_page()
    recorder(page).expect_errors = True  # Chromium reports the refused frame
    await page.goto(neutral_site.url)
    await page.evaluate(EMBED, f"{server.http}/")
    await page.wait_for_timeout(1000)
    frame = page.frame_locator("iframe")
    assert await frame.locator("main").count() == 0


async def test_lost_counsellor_hands_the_seeker_to_the_next_one(
    server_factory: ServerFactory, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    server = await server_factory(resume_grace_s=2.0)
    first = await counsellor_factory(server, "Sam")
    page = await open_page(new_page, server.http)
    await start_chat(page, first)
    await first.send_text("hello")
    await expect(shown(page, "theirs")).to_have_text(["hello"])

    await first.client.close()  # Sam's laptop goes away
    await expect(page.locator("#peer-note")).to_be_visible()
    await expect(page.locator("main")).to_have_attribute("data-state", "waiting")
    await expect(page.locator("#waiting-note")).to_contain_text("connection was lost")
    assert server.hub.switchboard.waiting_count() == 1  # back at the front of the queue

    second = await counsellor_factory(server, "Kim")
    await second.accept_next()
    await second.wait_established()  # a fresh key exchange: nothing of Sam's chat travels
    await expect(page.locator("main")).to_have_attribute("data-state", "chat")
    await expect(page.locator("#counsellor-name")).to_have_text("Kim")
    await expect(shown(page, "theirs")).to_have_count(0)
    await send_from_page(page, "are you there?")
    assert await second.next_text() == "are you there?"
    assert first.texts == []


async def test_leaving_the_queue_forgets_the_place(
    server: RunningServer, new_page: PageFactory
) -> None:
    page = await open_page(new_page, server.http)
    await expect(page.locator("#transcripts-notice")).to_be_hidden()  # off by default
    await page.click("#start")
    await expect(page.locator("#position")).to_have_text("You are next.")
    await expect(page.locator("#estimate")).to_have_text("We cannot estimate the wait yet.")
    assert server.hub.switchboard.waiting_count() == 1
    await page.click("#leave-queue")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    assert await page.evaluate("sessionStorage.length") == 0
    for _ in range(50):
        if server.hub.switchboard.waiting_count() == 0:
            break
        await asyncio.sleep(0.05)
    assert server.hub.switchboard.waiting_count() == 0


async def test_transcripts_on_are_said_prominently(
    server_factory: ServerFactory, tmp_path: Path, new_page: PageFactory
) -> None:
    service = write_service_file(tmp_path / "service.json", transcripts=True)
    server = await server_factory(service_file=service)
    page = await open_page(new_page, server.http)
    notice = page.locator("#transcripts-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text("keeps an encrypted record")


async def test_ending_while_offline_never_puts_the_seeker_back_in_a_queue(
    server: RunningServer,
    new_page: PageFactory,
    proxy_factory: ProxyFactory,
    counsellor_factory: CounsellorFactory,
) -> None:
    counsellor, proxy, page = await chat_through_proxy(
        server, new_page, proxy_factory, counsellor_factory
    )
    await proxy.cut()
    await expect(page.locator("#reconnecting")).to_be_visible()
    await page.click("#end-chat")
    await page.click("#end-yes")
    await expect(page.locator("main")).to_have_attribute("data-state", "ended")
    proxy.restore()
    # The page resumes only to leave: the counsellor hears that the seeker left, the
    # seeker stays on the ended screen (with the feedback question) and queues nowhere.
    assert await counsellor.wait_ended() == "seeker_left"
    await expect(page.locator("#feedback")).to_be_visible()
    await page.wait_for_timeout(500)
    await expect(page.locator("main")).to_have_attribute("data-state", "ended")
    assert server.hub.switchboard.waiting_count() == 0


async def test_only_a_reload_takes_the_chat_back(
    server: RunningServer, new_page: PageFactory, counsellor_factory: CounsellorFactory
) -> None:
    counsellor = await counsellor_factory(server)
    page = await open_page(new_page, server.http)
    await start_chat(page, counsellor)
    # Opening the address again (not a reload: a new visit, a restored tab) starts
    # afresh: what pagehide saved for a reload is read, refused and deleted.
    await page.goto(f"{server.http}/")
    await expect(page.locator("main")).to_have_attribute("data-state", "notice")
    assert await page.evaluate("sessionStorage.length") == 0
    assert len(counsellor.established) == 1


async def test_ending_offline_past_the_grace_period_stays_ended(
    server_factory: ServerFactory,
    new_page: PageFactory,
    proxy_factory: ProxyFactory,
    counsellor_factory: CounsellorFactory,
) -> None:
    server = await server_factory(resume_grace_s=1.0)
    counsellor, proxy, page = await chat_through_proxy(
        server, new_page, proxy_factory, counsellor_factory
    )
    await proxy.cut()
    await page.click("#end-chat")
    await page.click("#end-yes")
    assert await counsellor.wait_ended() == "seeker_gone"  # the grace period ran out
    proxy.restore()  # the page resumes to say goodbye: too late, the token is gone
    await page.wait_for_timeout(2000)
    await expect(page.locator("main")).to_have_attribute("data-state", "ended")
    await expect(page.locator("#ended-reason")).to_contain_text("You have ended the chat")
    assert server.hub.switchboard.waiting_count() == 0


async def test_the_queue_fallback_is_shown_and_can_be_declined(
    server_factory: ServerFactory, tmp_path: Path, new_page: PageFactory
) -> None:
    """The operator gave German a fallback (English): the page preselects it, so the
    seeker sees it; choosing "no other language" means none, not the queue's."""
    service = write_service_file(tmp_path / "service.json", queues={"de": {"fallback": "en"}})
    server = await server_factory(service_file=service)
    page = await open_page(new_page, server.http)
    await page.select_option("#language", "de")
    await expect(page.locator("#fallback")).to_have_value("en")
    await page.select_option("#fallback", "")
    await page.click("#start")
    await expect(page.locator("main")).to_have_attribute("data-state", "waiting")
    seeker = await _only_seeker(server)
    assert (seeker.language, seeker.fallback) == ("de", None)
    # Left as it was, the queue's fallback applies.
    second = await open_page(new_page, server.http)
    await second.select_option("#language", "de")
    await second.click("#start")
    await expect(second.locator("main")).to_have_attribute("data-state", "waiting")
    fallbacks = {s.fallback for s in server.hub.switchboard._seekers.values()}
    assert fallbacks == {None, "en"}


async def _only_seeker(server: RunningServer) -> Any:
    for _ in range(100):
        seekers = list(server.hub.switchboard._seekers.values())
        if seekers:
            assert len(seekers) == 1
            return seekers[0]
        await asyncio.sleep(0.05)
    raise AssertionError("no seeker joined")
