"""The administration panels of the supervisors' page (/staff/supervisor) in Debian's
Chromium, against a real server: Staff, Queues, Service and Audit log
(counsellor_ui/js/admin-*.mjs).

A supervisor creates a counsellor in the browser (the page derives the login secret
from the initial password), the counsellor signs in at /staff/ with it, and is taken
off duty (their workspace is closed at once); a queue gets opening hours, a holiday
and a resource, and ``GET /api/service`` says so afterwards; a new queue is added by
its language tag; a canned response is added; transcripts are turned on through the
confirmation; the audit log shows it all, newest first. Every form error is shown
next to its field (aria-invalid, aria-describedby) with the focus on it. axe-core
finds no serious or critical violation on any panel, at 1280 and 360 px.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from playwright.async_api import Locator, Page, expect

from helpline.core.staff import Role, StaffAccount
from helpline.web.keys import DATABASE
from tests.browser.axe import assert_accessible
from tests.browser.conftest import ContextFactory, Screenshot
from tests.browser.workspace import PASSWORD, SIGN_IN_TIMEOUT, sign_in
from tests.e2e.conftest import RunningServer, ServerFactory

NEW_PASSWORD = "a long initial password"
PANELS = ("staff", "queues", "service", "audit")
# What makes the page wider than a narrow screen (a table scrolling inside its own
# region is fine; something positioned out of it is not).
WIDER_THAN_SCREEN = """() => {
  const root = document.documentElement;
  if (root.scrollWidth <= root.clientWidth) return [];
  const found = [...document.querySelectorAll('body *')]
    .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
    .filter((e) => !e.closest('.table-scroll') || getComputedStyle(e).position === 'absolute')
    .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
    .slice(0, 8);
  return found.length ? found : [`scrollWidth ${root.scrollWidth}`];
}"""


# -- helpers -------------------------------------------------------------------------


async def supervisor_page(
    new_context: ContextFactory, server: RunningServer, username: str, width: int = 1280
) -> Page:
    """/staff/supervisor signed in as ``username`` (a supervisor)."""
    context = await new_context(width=width)
    page = await context.new_page()
    await page.goto(f"{server.http}/staff/supervisor")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await page.fill("#username", username)
    await page.fill("#password", PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "app", timeout=SIGN_IN_TIMEOUT
    )
    return page


async def open_tab(page: Page, name: str) -> Locator:
    """Select the tab ``name`` and wait until its panel has loaded."""
    await page.click(f"#tab-{name}")
    panel = page.locator(f"#panel-{name}")
    await expect(panel).to_be_visible()
    await expect(panel.locator("h2")).to_be_visible()
    await expect(panel.locator(".panel-status").first).to_have_text("")
    return panel


async def public_service(server: RunningServer) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{server.http}/api/service") as r:
        assert r.status == 200
        answer: dict[str, Any] = await r.json()
        return answer


def language(service: dict[str, Any], code: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [q for q in service["languages"] if q["code"] == code]
    assert found, f"no queue {code} in {[q['code'] for q in service['languages']]}"
    return found[0]


async def find_account(server: RunningServer, username: str) -> StaffAccount:
    accounts: list[StaffAccount] = await server.app[DATABASE].accounts.list()
    found = [a for a in accounts if a.username == username]
    assert found, f"no account {username}"
    return found[0]


def expected_hours_state(now: float) -> tuple[bool, float | None, float | None]:
    """(open, opens_at, closes_at) of a queue open 09:00-17:00 UTC every day."""
    t = datetime.fromtimestamp(now, UTC)
    nine = t.replace(hour=9, minute=0, second=0, microsecond=0)
    five = t.replace(hour=17, minute=0, second=0, microsecond=0)
    if nine <= t < five:
        return True, None, five.timestamp()
    opens = nine if t < nine else nine + timedelta(days=1)
    return False, opens.timestamp(), None


async def field_error(form: Locator, name: str) -> str:
    """The error shown for the control named ``name``, checked to be tied to it."""
    control = form.locator(f'[name="{name}"]').first
    await expect(control).to_have_attribute("aria-invalid", "true")
    described = (await control.get_attribute("aria-describedby") or "").split()
    assert described, f"{name} has no aria-describedby"
    error = form.locator(f"#{described[0]}")
    await expect(error).to_be_visible()
    return (await error.text_content() or "").strip()


# -- the whole round ---------------------------------------------------------------------


async def test_supervisor_administers_staff_queues_service(
    server_factory: ServerFactory,
    new_context: ContextFactory,
    screenshot: Screenshot,
) -> None:
    server = await server_factory()
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR)
    page = await supervisor_page(new_context, server, "boss")

    # -- Staff: create a counsellor -----------------------------------------------------
    staff = await open_tab(page, "staff")
    await expect(staff.locator('tr[data-username="boss"]')).to_contain_text("(you)")
    # No "take off duty" for oneself.
    await expect(staff.locator('tr[data-username="boss"] button.disable')).to_have_count(0)
    form = staff.locator("form.add-account-form")

    # Errors first: a short password, shown next to its field, focus on it.
    await form.locator('[name="username"]').fill("casey")
    await form.locator('[name="password"]').fill("short")
    await form.locator('[name="password_again"]').fill("short")
    await form.locator('button[type="submit"]').click()
    assert "at least 8" in await field_error(form, "password")
    await expect(form.locator('[name="password"]')).to_be_focused()
    # The server's own message: a counsellor without a language.
    await form.locator('[name="password"]').fill(NEW_PASSWORD)
    await form.locator('[name="password_again"]').fill(NEW_PASSWORD)
    await form.locator('button[type="submit"]').click()
    first_language = form.locator('input[type="checkbox"]').first
    await expect(first_language).to_have_attribute("aria-invalid", "true")
    await expect(first_language).to_be_focused()
    await expect(form.locator(".checks-field .field-error")).to_contain_text(
        "at least one language"
    )

    await form.locator('input[type="checkbox"][value="de"]').check()
    await form.locator('[name="capacity"]').fill("2")
    await form.locator('[name="password"]').fill(NEW_PASSWORD)
    await form.locator('[name="password_again"]').fill(NEW_PASSWORD)
    await form.locator('button[type="submit"]').click()
    row = staff.locator('tr[data-username="casey"]')
    await expect(row).to_be_visible()
    await expect(row).to_contain_text("Counsellor")
    await expect(row).to_contain_text("de")
    await expect(form.locator('[name="password"]')).to_have_value("")
    await expect(form.locator('[aria-invalid="true"]')).to_have_count(0)
    account = await find_account(server, "casey")
    assert account.languages == ("de",)
    assert account.capacity == 2

    # The same username again: the server's 409 next to the username.
    await form.locator('[name="username"]').fill("casey")
    await form.locator('input[type="checkbox"][value="de"]').check()
    await form.locator('[name="password"]').fill(NEW_PASSWORD)
    await form.locator('[name="password_again"]').fill(NEW_PASSWORD)
    await form.locator('button[type="submit"]').click()
    assert "taken" in await field_error(form, "username")
    await form.locator('[name="username"]').fill("")
    await form.locator('[name="password"]').fill("")
    await form.locator('[name="password_again"]').fill("")

    # The new counsellor signs in at /staff/ with the initial password.
    casey_context = await new_context(width=1000)
    casey = await casey_context.new_page()
    await sign_in(casey, server.http, "casey", NEW_PASSWORD)

    await staff.locator("button.refresh").click()
    await expect(row.locator(".key-state")).to_have_attribute("data-state", "valid")
    await expect(row.locator(".key-state")).to_contain_text("Valid until")
    await expect(row.locator("code.fingerprint")).to_have_text(
        re.compile(r"^([0-9a-f]{4} ){7}[0-9a-f]{4}$")
    )
    await expect(row.locator(".presence")).not_to_have_text("Offline")
    await assert_accessible(page, "the Staff panel")
    await screenshot(page, "admin-staff-1280")

    # Edit: capacity 3 and French too, in a dialog.
    await row.locator("button.edit").click()
    dialog = page.locator("dialog.edit-account-dialog")
    await expect(dialog).to_be_visible()
    await dialog.locator('input[type="checkbox"][value="fr"]').check()
    await dialog.locator('[name="capacity"]').fill("9")
    await dialog.locator('button[type="submit"]').click()
    assert "1 to 3" in await field_error(dialog, "capacity")
    await dialog.locator('[name="capacity"]').fill("3")
    await assert_accessible(page, "the edit dialog")
    await dialog.locator('button[type="submit"]').click()
    await expect(dialog).to_have_count(0)
    await expect(row).to_contain_text("de, fr")
    await expect(row.locator("button.edit")).to_be_focused()

    # A supervisor cannot demote themselves: the server's refusal, in the dialog.
    await staff.locator('tr[data-username="boss"] button.edit').click()
    dialog = page.locator("dialog.edit-account-dialog")
    await dialog.locator('[name="role"]').select_option("counsellor")
    await dialog.locator('button[type="submit"]').click()
    await expect(dialog.locator(".form-error")).to_contain_text("your own")
    await page.keyboard.press("Escape")
    await expect(dialog).to_have_count(0)
    await expect(staff.locator('tr[data-username="boss"] button.edit')).to_be_focused()

    # Take off duty: a confirmation that explains the revocation; the workspace closes.
    await row.locator("button.disable").click()
    confirm = page.locator("dialog.off-duty-dialog")
    await expect(confirm).to_be_visible()
    await expect(confirm).to_contain_text("keys revoke")
    await expect(confirm.locator("button.cancel")).to_be_focused()
    await assert_accessible(page, "the off-duty confirmation")
    await screenshot(page, "admin-staff-offduty-1280")
    await confirm.locator("button.confirm").click()
    await expect(row).to_have_attribute("data-disabled", "true")
    await expect(row.locator(".duty")).to_have_text("Off duty")
    await expect(row.locator("button.enable")).to_be_focused()
    await expect(casey.locator("main")).to_have_attribute("data-view", "signin")
    assert (await find_account(server, "casey")).disabled
    # And back on duty: no confirmation needed; they can sign in again.
    await row.locator("button.enable").click()
    await expect(row).to_have_attribute("data-disabled", "false")
    await expect(row.locator("button.disable")).to_be_focused()
    assert not (await find_account(server, "casey")).disabled

    # -- Queues: opening hours for "de", a holiday, a resource --------------------------
    queues = await open_tab(page, "queues")
    await queues.locator('tr[data-code="de"] button.edit').click()
    editor = queues.locator("form.queue-form")
    await expect(queues.locator(".queue-editor h3")).to_be_focused()
    await editor.locator('[name="name"]').fill("Deutsch (Test)")
    await editor.locator('input[type="radio"][value="weekly"]').check()
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        await editor.locator(f'fieldset[data-day="{day}"] button.add-period').click()
    # A second period on Monday that ends before it starts: refused in the page.
    monday = editor.locator('fieldset[data-day="mon"]')
    await monday.locator("button.add-period").click()
    await monday.locator('input[name="mon-2-to"]').fill("08:00")
    await editor.locator('textarea[name="holidays"]').fill("2026-12-25\n2027-13-01")
    await editor.locator("button.add-resource").click()
    resource = editor.locator("fieldset.resource").first
    await resource.locator('[name="title"]').fill("Telefonseelsorge")
    await resource.locator('[name="text"]').fill("Rund um die Uhr erreichbar.")
    await resource.locator('[name="url"]').fill("example.org/hilfe")
    await editor.locator('button[type="submit"]').click()
    mon_to = monday.locator('input[name="mon-2-to"]')
    await expect(mon_to).to_have_attribute("aria-invalid", "true")
    await expect(monday.locator('input[name="mon-2-from"]')).to_be_focused()
    await expect(editor.locator('textarea[name="holidays"]')).to_have_attribute(
        "aria-invalid", "true"
    )
    await monday.locator('button[aria-label="Remove period 2 on Monday"]').click()
    await editor.locator('textarea[name="holidays"]').fill("2026-12-25")
    # The server refuses the link, with its message next to the field.
    await editor.locator('button[type="submit"]').click()
    message = await field_error(resource, "url")
    assert "http" in message, message
    await expect(resource.locator('[name="url"]')).to_be_focused()
    await resource.locator('[name="url"]').fill("https://example.org/hilfe")
    await editor.locator('button[type="submit"]').click()
    await expect(editor.locator(".form-status")).to_contain_text("was saved")
    await expect(queues.locator('tr[data-code="de"] .hours-summary')).to_contain_text(
        "Mon 09:00–17:00"
    )
    await assert_accessible(page, "the Queues panel")
    await screenshot(page, "admin-queues-1280")

    now = time.time()
    public = language(await public_service(server), "de")
    assert public["name"] == "Deutsch (Test)"
    is_open, opens_at, closes_at = expected_hours_state(now)
    seconds = now % 86400
    if min(abs(seconds - 9 * 3600), abs(seconds - 17 * 3600)) > 5:  # not at a boundary
        assert public["open"] is is_open, public
        assert public["opens_at"] == opens_at, public
        assert public["closes_at"] == closes_at, public
    assert public["resources"] == [
        {
            "title": "Telefonseelsorge",
            "text": "Rund um die Uhr erreichbar.",
            "url": "https://example.org/hilfe",
            "phone": None,
        }
    ]

    # A new queue by its language tag.
    add = queues.locator("form.add-queue-form")
    await add.locator('[name="code"]').fill("pt_BR")
    await add.locator('button[type="submit"]').click()
    assert "language tag" in await field_error(add, "code")
    await add.locator('[name="code"]').fill("pt-BR")
    await add.locator('[name="name"]').fill("Português (Brasil)")
    await add.locator('button[type="submit"]').click()
    await expect(queues.locator('tr[data-code="pt-br"]')).to_be_visible()
    await expect(queues.locator(".queue-editor h3")).to_contain_text("Português (Brasil)")
    assert language(await public_service(server), "pt-br")["open"] is True
    # Closed until further notice, with a message and a fallback queue.
    editor = queues.locator("form.queue-form")
    await expect(editor).to_have_attribute("data-code", "pt-br")
    await editor.locator('[name="closed"]').check()
    await editor.locator('[name="closed_message"]').fill("Voltamos em breve.")
    await editor.locator('[name="fallback"]').select_option("en")
    await editor.locator('button[type="submit"]').click()
    await expect(editor.locator(".form-status")).to_contain_text("was saved")
    await expect(queues.locator('tr[data-code="pt-br"] .open-now')).to_have_text("Closed")
    await expect(queues.locator('tr[data-code="pt-br"]')).to_contain_text("English (en)")
    portuguese = language(await public_service(server), "pt-br")
    assert portuguese["open"] is False
    assert portuguese["closed_message"] == "Voltamos em breve."
    answer = await page.request.get(f"{server.http}/api/admin/service")  # the page's session
    stored = {q["code"]: q for q in (await answer.json())["queues"]}
    assert stored["pt-br"]["fallback"] == "en"
    assert stored["pt-br"]["closed"] is True

    # A canned response in German.
    canned = queues.locator(".canned-admin")
    await canned.locator("select.canned-language").select_option("de")
    canned_form = canned.locator("form.canned-add-form")
    await canned_form.locator('[name="title"]').fill("Begrüßung")
    await canned_form.locator('[name="text"]').fill("Hallo, schön, dass du schreibst.")
    await canned_form.locator('button[type="submit"]').click()
    await expect(canned.locator("table.canned-responses tbody th")).to_have_text(["Begrüßung"])
    rows = await server.app[DATABASE].canned.list(("de",))
    assert [(r.title, r.text) for r in rows] == [("Begrüßung", "Hallo, schön, dass du schreibst.")]
    await assert_accessible(page, "the Queues panel with the canned responses")
    # Changed in a dialog, then removed after a confirmation.
    await canned.locator("table.canned-responses button.edit").click()
    edit = page.locator("dialog.canned-edit-dialog")
    await edit.locator('[name="title"]').fill("Hallo")
    await edit.locator('button[type="submit"]').click()
    await expect(edit).to_have_count(0)
    await expect(canned.locator("table.canned-responses tbody th")).to_have_text(["Hallo"])
    await expect(canned.locator("table.canned-responses button.edit")).to_be_focused()
    await canned.locator("table.canned-responses button.remove").click()
    remove = page.locator("dialog.canned-remove-dialog")
    await expect(remove.locator("button.cancel")).to_be_focused()
    await remove.locator("button.confirm").click()
    await expect(canned.locator("table.canned-responses tbody")).to_contain_text(
        "No canned responses"
    )
    assert await server.app[DATABASE].canned.list(("de",)) == []

    # -- Service: transcripts on, after the confirmation --------------------------------
    service = await open_tab(page, "service")
    settings = service.locator("form.service-form")
    await settings.locator('[name="time_zone"]').fill("Mars/Olympus")
    await settings.locator('button[type="submit"]').click()
    assert "time zone" in (await field_error(settings, "time_zone")).lower()
    await settings.locator('[name="time_zone"]').fill("UTC")
    await settings.locator('[name="transcripts"]').check()
    await settings.locator('button[type="submit"]').click()
    confirm = page.locator("dialog.transcripts-dialog")
    await expect(confirm).to_contain_text("audit log")
    await assert_accessible(page, "the transcripts confirmation")
    await confirm.locator("button.confirm").click()
    await expect(settings.locator(".form-status")).to_have_text("The service settings were saved.")
    assert (await public_service(server))["transcripts"] is True
    await assert_accessible(page, "the Service panel")
    await screenshot(page, "admin-service-1280")

    # -- Audit log: newest first ----------------------------------------------------------
    audit = await open_tab(page, "audit")
    actions = await audit.locator("td.action").evaluate_all(
        "cells => cells.map((c) => c.dataset.action)"
    )
    assert actions[0] == "service.transcripts", actions
    for expected in ("queue.create", "queue.edit", "staff.edit", "staff.disable", "staff.create"):
        assert expected in actions, (expected, actions)
    assert actions.index("staff.disable") < actions.index("staff.create")
    await expect(audit.locator("tbody tr").first.locator("td").first).to_have_text("boss")
    await assert_accessible(page, "the Audit log panel")
    await screenshot(page, "admin-audit-1280")


async def test_panels_at_360_and_paging_the_audit_log(
    server_factory: ServerFactory, new_context: ContextFactory, screenshot: Screenshot
) -> None:
    server = await server_factory()
    await server.add_staff("boss", ("en",), role=Role.SUPERVISOR)
    await server.add_staff("sam", ("en", "de"), capacity=2)
    database = server.app[DATABASE]
    for i in range(60):  # more than a page
        await database.audit.add("cli", "staff.edit", f"entry {i}", time.time() - 600 + i)
    page = await supervisor_page(new_context, server, "boss", width=360)
    for name in PANELS:
        panel = await open_tab(page, name)
        await screenshot(page, f"admin-{name}-360")
        too_wide = await page.evaluate(WIDER_THAN_SCREEN)
        assert not too_wide, f"the {name} panel is wider than the screen: {too_wide}"
        await assert_accessible(page, f"the {name} panel at 360 px")
        if name == "queues":
            await panel.locator('tr[data-code="en"] button.edit').click()
            await expect(panel.locator("form.queue-form")).to_be_visible()
            await panel.locator('input[type="radio"][value="weekly"]').check()
            await panel.locator('fieldset[data-day="mon"] button.add-period').click()
            await assert_accessible(page, "the queue editor at 360 px")
        await screenshot(page, f"admin-{name}-360")

    # Reset sam's password in its dialog; sam signs in with the new one.
    staff = await open_tab(page, "staff")
    sam = staff.locator('tr[data-username="sam"]')
    await sam.locator("button.reset-password").click()
    dialog = page.locator("dialog.password-dialog")
    await expect(dialog).to_contain_text("certified again")
    await expect(dialog).not_to_contain_text("null")
    await expect(dialog.locator(".warning")).to_have_count(0)  # only for one's own account
    await expect(dialog.locator('[name="password"]')).to_be_focused()
    await dialog.locator('[name="password"]').fill(NEW_PASSWORD)
    await dialog.locator('[name="password_again"]').fill(NEW_PASSWORD + "!")
    await dialog.locator('button[type="submit"]').click()
    assert "not the same" in await field_error(dialog, "password_again")
    await assert_accessible(page, "the password dialog at 360 px")
    await screenshot(page, "admin-staff-password-360")
    await dialog.locator('[name="password_again"]').fill(NEW_PASSWORD)
    await dialog.locator('button[type="submit"]').click()
    await expect(dialog).to_have_count(0)
    await expect(sam.locator("button.reset-password")).to_be_focused()
    await expect(staff.locator(".panel-status")).to_contain_text("was reset")
    sam_page = await (await new_context(width=360)).new_page()
    await sign_in(sam_page, server.http, "sam", NEW_PASSWORD)

    audit = await open_tab(page, "audit")
    await expect(audit.locator("tbody tr")).to_have_count(50)
    await expect(audit.locator("tbody tr").first.locator("td.action")).to_have_text(
        "staff password"
    )
    await expect(audit.locator("tbody tr").nth(1).locator("td.detail")).to_have_text("entry 59")
    await audit.locator("button.load-older").click()
    await expect(audit.locator("tbody tr")).to_have_count(61)
    await expect(audit.locator("tbody tr").last.locator("td.detail")).to_have_text("entry 0")
    await expect(audit.locator("button.load-older")).to_be_hidden()
    await expect(audit.locator("tbody tr").nth(50).locator("th")).to_be_focused()
    await expect(audit.locator(".audit-end")).to_have_text("That is the oldest entry.")

    # Signing out empties the panels; signing in again mounts them afresh, once.
    await page.click("#signout")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await expect(page.locator("#panel-staff *")).to_have_count(0)
    await page.fill("#username", "boss")
    await page.fill("#password", PASSWORD)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "app", timeout=SIGN_IN_TIMEOUT
    )
    staff = await open_tab(page, "staff")
    await expect(staff.locator("h2")).to_have_count(1)
    await expect(staff.locator("table.staff-table")).to_have_count(1)
    await expect(staff.locator('tr[data-username="sam"]')).to_be_visible()
