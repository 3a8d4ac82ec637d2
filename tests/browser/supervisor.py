"""Helpers for driving the supervisors' page (/staff/supervisor) and the first-start
page (/staff/setup) in the browser tests.

Selectors come from counsellor_ui/supervisor.html, setup.html and js/dashboard.mjs,
history.mjs, tabs.mjs:

- views: ``main[data-view=loading|signin|forbidden|app]`` (setup: ``form|message``)
- tabs: ``#tab-<name>`` (``role=tab``, ``aria-selected``) controlling ``#panel-<name>``
  for dashboard, history, staff, queues, service, audit
- dashboard: ``#live-state[data-state=connecting|live|reconnecting]``,
  ``#languages-table tbody tr[data-language=<code>]`` with a ``td.<figure>`` per
  figure (waiting, longest, median, p90, active, available, busy, away, answered,
  abandoned, service-level), ``#counsellors-table tbody tr[data-username=<name>]``
  (``.status-badge[data-status]``, ``td.chats``, ``td.since``), ``#help-list
  li[data-username]`` with ``button.ack``, the chart ``#chart svg path.line``
  (``data-language``, ``data-kind``)
- history: ``#history-period``, ``#history-date``, ``#history-language``,
  ``#history-submit``, ``#history-result`` (tables, ``td.suppressed``),
  ``#export-from``, ``#export-to``, ``#export-link``, ``#export-message[data-kind]``
"""

from __future__ import annotations

from playwright.async_api import Locator, Page, expect

from helpline.web.setup_api import SETUP
from tests.e2e.conftest import PASSWORD, RunningServer

SIGN_IN_TIMEOUT = 20_000
LIVE_TIMEOUT = 15_000  # a figure reaches the page within dashboard_interval_s (2 s)
TABS = ("dashboard", "history", "staff", "queues", "service", "audit")

__all__ = [
    "LIVE_TIMEOUT",
    "TABS",
    "counsellor_row",
    "figure",
    "language_row",
    "setup_link",
    "show_tab",
    "sign_in_supervisor",
]


def setup_link(server: RunningServer) -> str:
    """The one-time link the server printed at its first start."""
    return f"{server.http}/staff/setup#{server.app[SETUP].token}"


async def sign_in_supervisor(
    page: Page, base: str, username: str, password: str = PASSWORD
) -> None:
    """Open ``base``/staff/supervisor and sign in; returns once the dashboard is live."""
    await page.goto(f"{base}/staff/supervisor")
    await expect(page.locator("main")).to_have_attribute("data-view", "signin")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#signin-submit")
    await expect(page.locator("main")).to_have_attribute(
        "data-view", "app", timeout=SIGN_IN_TIMEOUT
    )
    await expect(page.locator("#live-state")).to_have_attribute("data-state", "live")


async def show_tab(page: Page, name: str) -> Locator:
    """Click the tab ``name``; its panel once visible."""
    await page.click(f"#tab-{name}")
    await expect(page.locator(f"#tab-{name}")).to_have_attribute("aria-selected", "true")
    panel = page.locator(f"#panel-{name}")
    await expect(panel).to_be_visible()
    return panel


def language_row(page: Page, code: str) -> Locator:
    return page.locator(f'#languages-table tbody tr[data-language="{code}"]')


def counsellor_row(page: Page, username: str) -> Locator:
    return page.locator(f'#counsellors-table tbody tr[data-username="{username}"]')


def figure(row: Locator, name: str) -> Locator:
    """A figure's cell in a dashboard row (``waiting``, ``active``, ``chats``...)."""
    return row.locator(f"td.{name}")
