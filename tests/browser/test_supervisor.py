"""The supervisors' page (/staff/supervisor) and the first-start page (/staff/setup) in
Debian's Chromium, against a real server.

- The first start: the one-time link the server printed opens the setup page, which
  derives the login secret in the browser and creates the first supervisor, signed in;
  a link without or with a wrong token says so.
- The dashboard changes live (Server-Sent Events) as a seeker joins on the real seeker
  page and a scripted counsellor serves them; a help request is acknowledged from it.
  Its chart over twenty minutes of a shift on the hub's manual clock. A dropped
  connection shows "Reconnecting…"; a session that ended goes back to signing in with
  nothing left on the page.
- History: hidden small counts (and those hidden with them) shown as "<5" with the
  explanation; the CSV export downloads a range with enough data and says why it
  refuses one without. The tab list's keys.
- Signing in: a counsellor is told the page is for supervisors; the second factor;
  the workspace's link for supervisors.
- Every tab: axe-core finds no serious or critical violation; screenshots at 360 and
  1280 px in tests/browser/screenshots/supervisor-*.png.
- Without a browser: both pages served with every asset pinned (SRI), no-store, the
  strict CSP, in the bundle; 404 when their files are missing.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Locator, Page, expect

from helpline.core.staff import Role
from helpline.core.stats import ChatSummary
from helpline.web import static
from helpline.web.api import SESSION_COOKIE
from helpline.web.dashboard import DASHBOARD
from helpline.web.keys import DATABASE
from helpline.web.stats_job import STATS_JOB
from tests.browser.axe import assert_accessible
from tests.browser.conftest import (
    ContextFactory,
    CounsellorFactory,
    PageFactory,
    ProxyFactory,
    Screenshot,
)
from tests.browser.recorder import PageRecorder
from tests.browser.supervisor import (
    LIVE_TIMEOUT,
    TABS,
    counsellor_row,
    figure,
    language_row,
    setup_link,
    show_tab,
    sign_in_supervisor,
)
from tests.browser.test_workspace import seeker_waiting
from tests.browser.workspace import sign_in
from tests.e2e.conftest import PASSWORD, RunningServer, ServerFactory
from tests.e2e.raw import RawPeer
from tests.web.conftest import raw
from tests.web.test_totp import code_at, enrolled

WIDTHS = (360, 1280)


async def setup_needed(server: RunningServer) -> bool:
    async with aiohttp.ClientSession() as http, http.get(f"{server.http}/api/setup") as answer:
        body = await answer.json()
    needed: bool = body["needed"]
    return needed


async def fill_setup(page: Page, username: str, password: str, again: str | None = None) -> None:
    await page.fill("#setup-username", username)
    await page.fill("#setup-password", password)
    await page.fill("#setup-password2", password if again is None else again)
    await page.click("#setup-submit")


# -- first start ---------------------------------------------------------------------


async def test_the_first_start_link_creates_the_supervisor_and_signs_in(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    recorder: Callable[[Page], PageRecorder],
    screenshot: Screenshot,
) -> None:
    server = await server_factory()
    assert await setup_needed(server)
    link = setup_link(server)
    token = link.rsplit("#", 1)[1]

    pages = {}
    for width in WIDTHS:
        page = await (await new_context(width=width)).new_page()
        await page.goto(link)
        await expect(page.locator("main")).to_have_attribute("data-view", "form")
        await expect(page.locator("#setup-username")).to_be_focused()
        # The token is out of the address at once (and so out of the history).
        assert token not in page.url
        await assert_accessible(page, f"setup page at {width} px")
        await screenshot(page, f"supervisor-setup-{width}")
        pages[width] = page
    page = pages[1280]

    # Checked in the page before the slow derivation: the two passwords differ.
    await fill_setup(page, "admin", PASSWORD, "something else entirely")
    await expect(page.locator("#setup-error")).to_have_text("The two passwords are not the same.")
    await expect(page.locator("#setup-password2")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#setup-password2")).to_be_focused()
    await fill_setup(page, "admin", "short")
    await expect(page.locator("#setup-error")).to_contain_text("at least 8 characters")
    assert await setup_needed(server)

    await fill_setup(page, "admin", PASSWORD)
    await page.wait_for_url("**/staff/supervisor*", timeout=20_000)
    await expect(page.locator("main")).to_have_attribute("data-view", "app", timeout=20_000)
    await expect(page.locator("#me")).to_have_text("admin")
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    assert not await setup_needed(server)
    account = await server.app[DATABASE].accounts.find_login("admin")
    assert account is not None
    assert account[0].role is Role.SUPERVISOR

    # The token never travelled in a request line; the password never left the page.
    rec = recorder(page)
    assert not [url for url in rec.requests if token in url]

    # The second tab still shows the form: the link is used up.
    other = pages[360]
    await fill_setup(other, "someone", PASSWORD)
    await expect(other.locator("main")).to_have_attribute("data-view", "message")
    await expect(other.locator("#message-text")).to_contain_text("already created")

    # The account signs in like any other, on a fresh page.
    fresh = await (await new_context()).new_page()
    await sign_in_supervisor(fresh, server.http, "admin")


async def test_a_setup_link_without_or_with_a_wrong_token_says_so(
    server_factory: ServerFactory, new_page: PageFactory
) -> None:
    server = await server_factory()
    page = await new_page(width=360)
    await page.goto(f"{server.http}/staff/setup")
    await expect(page.locator("main")).to_have_attribute("data-view", "message")
    await expect(page.locator("#message-text")).to_contain_text("This link is incomplete")
    await expect(page.locator("#message-link")).to_be_hidden()

    await page.goto(f"{server.http}/staff/setup#{'A' * 43}")
    await expect(page.locator("main")).to_have_attribute("data-view", "form")
    await fill_setup(page, "admin", PASSWORD)
    await expect(page.locator("main")).to_have_attribute("data-view", "message", timeout=20_000)
    await expect(page.locator("#message-text")).to_contain_text("not valid any more")
    assert await setup_needed(server)  # a wrong token does not use the link up
    await assert_accessible(page, "setup page, refused")


# -- the live dashboard --------------------------------------------------------------


async def test_the_dashboard_changes_live_as_a_seeker_joins_and_is_served(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    new_page: PageFactory,
    counsellor_factory: CounsellorFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory(languages=("en", "de"))
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR, identity=False)
    casey = await counsellor_factory(server, "casey", ("en",), available=False)

    page = await (await new_context(width=1280)).new_page()
    await sign_in_supervisor(page, server.http, "boss")
    await expect(page).to_have_title("Dashboard — Helpline supervision")
    en = language_row(page, "en")
    await expect(en.locator("th")).to_have_text("English")
    await expect(figure(en, "waiting")).to_have_text("0")
    await expect(figure(en, "away")).to_have_text("1")
    await expect(language_row(page, "de")).to_have_count(1)
    row = counsellor_row(page, "casey")
    await expect(row.locator(".status-badge")).to_have_attribute("data-status", "away")
    await expect(row.locator(".status-badge")).to_have_text("Away")
    await expect(figure(row, "chats")).to_have_text("0")
    await expect(page.locator("#help-empty")).to_be_visible()

    # A seeker joins on the real seeker page and waits (nobody is available): waiting 1.
    seeker = await seeker_waiting(new_page, server)
    await expect(figure(en, "waiting")).to_have_text("1", timeout=LIVE_TIMEOUT)
    await expect(figure(en, "longest")).not_to_have_text("—")
    # Casey goes available, accepts and serves: waiting 0, active 1.
    await casey.set_available()
    await casey.accept_next()
    await casey.wait_established()
    await expect(seeker.locator("main")).to_have_attribute("data-state", "chat")
    await expect(figure(en, "waiting")).to_have_text("0", timeout=LIVE_TIMEOUT)
    await expect(figure(en, "active")).to_have_text("1")
    await expect(figure(en, "answered")).to_have_text("1")
    await expect(figure(en, "median")).not_to_have_text("—")
    await expect(figure(en, "service-level")).to_have_text("100 %")
    await expect(row.locator(".status-badge")).to_have_attribute("data-status", "busy")
    await expect(figure(row, "chats")).to_have_text("1")
    await expect(figure(en, "busy")).to_have_text("1")
    # The chart has its first minute, and says it in words and in its table.
    await expect(page.locator('#chart svg path.line[data-language="en"]')).to_have_count(2)
    desc = page.locator("#chart svg desc")
    await expect(desc).to_contain_text("English: now")
    await expect(page.locator("#chart .chart-data tbody tr")).not_to_have_count(0)

    # The counsellor asks for help; the supervisor acknowledges it from the dashboard.
    await casey.client.ask_help(True)
    item = page.locator('#help-list li[data-username="casey"]')
    await expect(item).to_be_visible(timeout=LIVE_TIMEOUT)
    await expect(page.locator("#alerter")).to_have_text("casey asks for help.")
    await expect(page.locator("#help-count")).to_have_text("1")
    await assert_accessible(page, "dashboard with a help request")
    await screenshot(page, "supervisor-dashboard-1280")
    await page.set_viewport_size({"width": 360, "height": 800})
    await screenshot(page, "supervisor-dashboard-360")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.set_viewport_size({"width": 1280, "height": 800})
    await item.locator("button.ack").click()
    await expect(item).to_have_count(0)
    await expect(page.locator("#help-empty")).to_be_visible()
    assert not server.hub.switchboard.help_requests()

    # Casey ends the chat: nothing active any more, and Casey is free again.
    await casey.end("support_given")
    await expect(figure(en, "active")).to_have_text("0", timeout=LIVE_TIMEOUT)
    await expect(figure(row, "chats")).to_have_text("0")


async def test_a_counsellor_is_told_the_page_is_for_supervisors(
    server_factory: ServerFactory, new_page: PageFactory, screenshot: Screenshot
) -> None:
    server = await server_factory()
    await server.add_staff("casey", identity=False)
    page = await new_page(width=360)
    await page.goto(f"{server.http}/staff/supervisor")
    await expect(page.locator("#username")).to_be_focused()
    await assert_accessible(page, "sign-in")
    await screenshot(page, "supervisor-signin-360")
    await page.fill("#username", "casey")
    await page.fill("#password", PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute("data-view", "forbidden", timeout=20_000)
    await expect(page.locator("#forbidden-user")).to_have_text("casey")
    await expect(page.locator("#bar")).to_be_hidden()
    await assert_accessible(page, "supervisors only")
    await screenshot(page, "supervisor-forbidden-360")


# -- tabs, history and the export ----------------------------------------------------


def summaries(day: datetime, language: str, n: int) -> list[ChatSummary]:
    """``n`` answered chats queued at 10:00 UTC on ``day``, waits 20 s, ended after 10 min."""
    queued = int(day.replace(hour=10, minute=0, second=0, microsecond=0).timestamp())
    return [
        ChatSummary(
            language=language,
            queued_minute=queued,
            answered_minute=queued,
            ended_minute=queued + 600,
            wait_s=20,
            end_reason="counsellor_ended",
            outcome=None,
        )
        for _ in range(n)
    ]


async def test_every_tab_history_suppression_and_the_csv_export(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory(languages=("en", "de", "fr"))
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR, identity=False)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    await server.app[DATABASE].chat_stats.record_many(
        summaries(yesterday, "en", 12)
        + summaries(yesterday, "de", 2)
        + summaries(yesterday, "fr", 6)
    )
    await server.app[STATS_JOB].run_once(time.time())
    day = yesterday.date().isoformat()

    context = await new_context(width=1280, accept_downloads=True)
    page = await context.new_page()
    await sign_in_supervisor(page, server.http, "boss")

    # The tab list: arrow keys move and show, Home and End, the fragment follows.
    await page.focus("#tab-dashboard")
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#tab-history")).to_be_focused()
    await expect(page.locator("#tab-history")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#panel-history")).to_be_visible()
    await expect(page.locator("#panel-dashboard")).to_be_hidden()
    assert page.url.endswith("#history")
    await page.keyboard.press("End")
    await expect(page.locator("#tab-audit")).to_be_focused()
    await page.keyboard.press("ArrowRight")
    await expect(page.locator("#tab-dashboard")).to_be_focused()
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("#tab-audit")).to_have_attribute("aria-selected", "true")
    await page.keyboard.press("Home")
    await expect(page.locator("#tab-dashboard")).to_have_attribute("aria-selected", "true")

    # History of yesterday: English 12, German 2 (hidden: "<5"), and French 6 hidden
    # with it (else 20 − 12 − 6 would give German's 2); the page explains both.
    await show_tab(page, "history")
    await page.fill("#history-date", day)
    await page.click("#history-submit")
    result = page.locator("#history-result")
    await expect(result.locator(".summary-figures li").first).to_contain_text("20")
    by_language = result.locator("table", has=page.locator("caption", has_text="by language"))

    def requests_of(language: str) -> Locator:
        return by_language.locator("tbody tr", has_text=language).locator("td").first

    await expect(requests_of("English")).to_have_text("12")
    for language in ("Deutsch", "Français"):
        await expect(requests_of(language)).to_have_class("num suppressed")
        await expect(requests_of(language).locator("[aria-hidden=true]")).to_have_text("<5")
    await expect(result.locator(".suppression-note")).to_contain_text("“<5”")

    # The export: a quiet range is refused in words; a range with data downloads.
    await page.fill("#export-from", "2001-01-01")
    await page.fill("#export-to", "2001-01-31")
    await page.click("#export-link")
    message = page.locator("#export-message")
    await expect(message).to_have_attribute("data-kind", "refused")
    await expect(message).to_contain_text("fewer than 5 requests")
    await page.fill("#export-to", "2000-12-01")
    await page.click("#export-link")
    await expect(message).to_contain_text("start not after the end")
    await page.fill("#export-from", day)
    await page.fill("#export-to", day)
    async with page.expect_download() as waiting:
        await page.click("#export-link")
    download = await waiting.value
    assert download.suggested_filename == f"helpline-{day}-{day}.csv"
    csv = (await download.path()).read_text(encoding="utf-8")
    assert csv.startswith("date,language,requests,")
    assert f"{day},en,12," in csv
    assert f"{day},de,[c]," in csv
    assert f"{day},fr,[c]," in csv
    await expect(message).to_have_attribute("data-kind", "done")

    # Every tab: no serious or critical accessibility violation; screenshots.
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        for name in TABS:
            panel = await show_tab(page, name)
            if name in ("staff", "queues", "service", "audit"):
                await expect(panel).not_to_be_empty(timeout=LIVE_TIMEOUT)
                await asyncio.sleep(0.3)  # let the panel finish loading
            await assert_accessible(page, f"{name} tab at {width} px")
            # Wide tables scroll inside their own region; the page never scrolls sideways.
            assert await page.evaluate("document.documentElement.scrollWidth") <= width, name
            # The dashboard with figures is shot by the live test; this one is quiet.
            shot = "dashboard-quiet" if name == "dashboard" else name
            await screenshot(page, f"supervisor-{shot}-{width}")


# -- losing the connection, and the session ------------------------------------------


async def test_the_dashboard_shows_reconnecting_and_a_session_that_ended(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    proxy_factory: ProxyFactory,
    recorder: Callable[[Page], PageRecorder],
) -> None:
    server = await server_factory(session_check_s=1.0)
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR, identity=False)
    proxy = await proxy_factory(server)
    context = await new_context(width=360)
    page = await context.new_page()
    await sign_in_supervisor(page, proxy.http, "boss")
    live = page.locator("#live-state")

    # The network drops: the page says so at once, and is live again once it is back.
    await proxy.cut()
    await expect(live).to_have_attribute("data-state", "reconnecting")
    await expect(live).to_have_text("Connection lost. Reconnecting…")
    await expect(page.locator("#panel-dashboard")).to_have_attribute("data-live", "false")
    proxy.restore()
    await expect(live).to_have_attribute("data-state", "live", timeout=LIVE_TIMEOUT)

    # The Staff tab, filled by its module.
    staff = await show_tab(page, "staff")
    await expect(staff.locator("h2")).not_to_have_count(0, timeout=LIVE_TIMEOUT)
    headings = await staff.locator("h2").count()
    await show_tab(page, "dashboard")

    # The session ends on the server (signed out elsewhere): back to signing in, and
    # nothing of the shift stays on the page.
    token = next(c["value"] for c in await context.cookies() if c["name"] == SESSION_COOKIE)
    await server.app[DATABASE].sessions.delete(token)
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "signin", timeout=LIVE_TIMEOUT
    )
    await expect(page.locator("#signin-message")).to_contain_text("Your session has ended")
    await expect(page.locator("#languages-table tbody tr")).to_have_count(0)
    await expect(page.locator("#chart svg path.line")).to_have_count(0)
    await expect(page.locator("#panel-staff")).to_be_empty()
    await expect(page.locator("#bar")).to_be_hidden()
    assert not recorder(page).problems()  # no page error, no CSP violation

    # Signing in again starts afresh; signing out from the bar ends it at once.
    await page.fill("#password", PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute("data-view", "app", timeout=20_000)
    await expect(live).to_have_attribute("data-state", "live")
    staff = await show_tab(page, "staff")  # mounted afresh, once
    await expect(staff.locator("h2")).to_have_count(headings, timeout=LIVE_TIMEOUT)
    await page.click("#signout")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await expect(page.locator("#signin-message")).to_have_text("You are signed out.")
    assert not [c for c in await context.cookies() if c["name"] == SESSION_COOKIE]


# -- how the pages are served (no browser) ---------------------------------------------


async def test_both_pages_are_served_with_every_asset_pinned(server: RunningServer) -> None:
    """Like /staff/: no-store, never framed, no inline script or style, every script,
    module and style sheet named with the hash of what the server serves; in the
    release's bundle too."""
    contents = static.bundle(static.collect())
    for path, entry in (
        ("/staff/supervisor", "/static/staff/js/supervisor.mjs"),
        ("/staff/setup", "/static/staff/js/setup.mjs"),
    ):
        answer = await raw(server, "GET", path)
        assert answer.status == 200, path
        assert answer.headers["Cache-Control"] == "no-store"
        policy = answer.headers["Content-Security-Policy"]
        assert "script-src 'self';" in policy
        assert "style-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        html = answer.body.decode()
        assert "<!-- helpline:assets -->" not in html
        assert " style=" not in html
        assert "<script>" not in html
        named = re.findall(r'(?:src|href)="(/static/[^"]+)" integrity="([^"]+)"', html)
        urls = [url for url, _ in named]
        assert urls[0] == "/static/staff/staff.css"
        admin_css = "/static/staff/admin.css"
        if path == "/staff/supervisor" and admin_css in static.collect():
            assert urls[1] == admin_css  # the administration panels' refinements
        else:
            assert admin_css not in urls
        assert urls[-1] == entry
        assert f'<script type="module" src="{entry}"' in html
        assert "/static/crypto/password.mjs" in urls
        for name in ("dashboard", "chart", "history", "tabs", "admin-staff", "admin-audit"):
            assert f"/static/staff/js/{name}.mjs" in urls
        assert not [u for u in urls if u.startswith("/static/seeker/")]
        for url, integrity in named:
            served = await raw(server, "GET", url)
            assert served.status == 200, url
            digest = base64.b64encode(hashlib.sha384(served.body).digest()).decode()
            assert integrity == f"sha384-{digest}", url
        assert contents[path] == answer.body
    assert "/staff/supervisor" in static.PAGES
    assert "/staff/setup" in static.PAGES
    # The unit tests are never served.
    assert (await raw(server, "GET", "/static/staff/js/supervisor.test.mjs")).status == 404


# -- the chart over a shift (manual clock) ---------------------------------------------


class ManualClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def waiting_seeker(server: RunningServer, language: str) -> RawPeer:
    """A seeker that joined ``language`` over a raw WebSocket and waits."""
    peer = await RawPeer.seeker(server.ws)
    await peer.send(type="join", language=language)
    await peer.recv("welcome")
    await peer.recv("queue")
    return peer


async def test_the_chart_draws_a_shift_and_says_it_in_words(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    counsellor_factory: CounsellorFactory,
    screenshot: Screenshot,
) -> None:
    """Twenty minutes of a shift on the hub's manual clock, one dashboard step a minute:
    the chart has a line per language and kind, its description and its table agree
    with what happened."""
    server = await server_factory(languages=("en", "de"))
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR, identity=False)
    casey = await counsellor_factory(server, "casey", ("en",), capacity=2, available=False)
    start = float(int(time.time()) // 60 * 60)
    clock = ManualClock(start)
    server.hub.clock = clock
    dashboard = server.app[DASHBOARD]
    page = await (await new_context(width=1280)).new_page()
    await sign_in_supervisor(page, server.http, "boss")

    seekers: list[RawPeer] = []
    chats: list[str] = []
    # minute: what happens then
    joins = {1: "en", 2: "de", 3: "en", 4: "en", 5: "de", 7: "en", 12: "en"}
    for minute in range(20):
        clock.now = start + minute * 60  # stays at the last minute after the loop
        if minute in joins:
            seekers.append(await waiting_seeker(server, joins[minute]))
        if minute == 8:  # Casey comes and takes two English chats
            await casey.set_available()
            chats.append(await casey.accept_next())
            chats.append(await casey.accept_next())
        if minute == 10:  # a German seeker gives up
            await seekers[1].close()
        if minute == 15:
            await casey.client.end(chats[0], outcome="support_given")
        await asyncio.sleep(0.3)  # the hub has handled it
        dashboard.step()
    en_waiting = page.locator('#chart svg path.line.waiting[data-language="en"]')
    await expect(en_waiting).to_have_count(1, timeout=LIVE_TIMEOUT)
    await expect(page.locator("#chart .chart-data tbody tr")).to_have_count(
        20, timeout=LIVE_TIMEOUT
    )
    d = await en_waiting.get_attribute("d") or ""
    assert d.count("L") == 19  # one point a minute, no gap
    for language in ("en", "de"):
        for kind in ("waiting", "active"):
            path = f'#chart svg path.line.{kind}[data-language="{language}"]'
            await expect(page.locator(path)).to_have_count(1)
    desc = page.locator("#chart svg desc")
    # English: joined at minutes 1, 3, 4, 7 (4 waiting), two taken at 8, one more
    # joined at 12, one chat ended at 15: now 3 waiting and 1 active, at most 4.
    await expect(desc).to_contain_text("English: now 3 waiting and 1 active; most waiting 4")
    await expect(desc).to_contain_text("Deutsch: now 1 waiting and 0 active; most waiting 2")
    await page.click("#chart .chart-data summary")
    last = page.locator("#chart .chart-data tbody tr").last
    await expect(last.locator("td")).to_have_text(["3", "1", "1", "0"])
    await assert_accessible(page, "dashboard with a shift's chart")
    await page.locator("#chart").scroll_into_view_if_needed()
    await screenshot(page, "supervisor-chart-1280")
    await page.set_viewport_size({"width": 360, "height": 800})
    await screenshot(page, "supervisor-chart-360")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    for seeker in seekers:
        await seeker.close()


# -- the way in from the workspace -----------------------------------------------------


async def test_the_workspace_links_supervisors_to_their_page(
    server_factory: ServerFactory, new_page: PageFactory
) -> None:
    server = await server_factory()
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR)
    await server.add_staff("casey")
    boss = await new_page()
    await sign_in(boss, server.http, "boss")
    link = boss.locator("#supervisor-link")
    await expect(link).to_be_visible()
    await expect(link).to_have_text("Supervisor dashboard")
    await link.click()
    await boss.wait_for_url("**/staff/supervisor*")
    # The same session: no second sign-in.
    await expect(boss.locator("main")).to_have_attribute("data-view", "app")
    await expect(boss.locator("#live-state")).to_have_attribute("data-state", "live")
    casey = await new_page(width=360)
    await sign_in(casey, server.http, "casey")
    await expect(casey.locator("#supervisor-link")).to_be_hidden()


async def test_signing_in_with_the_second_factor(
    server_factory: ServerFactory, new_page: PageFactory
) -> None:
    server = await server_factory()
    _, secret = await enrolled(server, "boss", Role.SUPERVISOR)

    page = await new_page(width=360)
    await page.goto(f"{server.http}/staff/supervisor")
    await page.fill("#username", "boss")
    await page.fill("#password", PASSWORD)
    await page.click("#signin-submit")
    code = page.locator("#code")
    await expect(code).to_be_focused(timeout=20_000)
    await expect(page.locator("#password-field")).to_be_hidden()
    await page.fill("#code", "12")
    await page.click("#signin-submit")
    await expect(page.locator("#signin-error")).to_contain_text("That code was not accepted")
    await page.fill("#code", "000000" if code_at(secret, 1) != "000000" else "111111")
    await page.click("#signin-submit")
    await expect(page.locator("#signin-error")).to_contain_text("That code was not accepted")
    await expect(code).to_be_visible()  # asked again, the password not needed again
    await page.fill("#code", code_at(secret, 1))  # the confirmation used this step's code
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute("data-view", "app")
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "live")


async def test_without_their_files_the_pages_answer_404(
    server_factory: ServerFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A counsellor_ui/ without supervisor.html and setup.html (an older release):
    the workspace is served, the two pages are not, and the bundle leaves them out."""
    root = tmp_path / "counsellor_ui"
    (root / "js").mkdir(parents=True)
    (root / "index.html").write_text("<!doctype html><title>w</title>\n<!-- helpline:assets -->\n")
    (root / "js" / "app.mjs").write_text("export const x = 1;\n")
    (root / "js" / "supervisor.mjs").write_text("export const y = 1;\n")  # no HTML for it
    monkeypatch.setattr(static, "COUNSELLOR_UI", root)
    server = await server_factory()
    assert (await raw(server, "GET", "/staff/")).status == 200
    assert (await raw(server, "GET", "/staff/supervisor")).status == 404
    assert (await raw(server, "GET", "/staff/setup")).status == 404
    contents = static.bundle(static.collect())
    assert "/staff/supervisor" not in contents
    assert "/staff/setup" not in contents
