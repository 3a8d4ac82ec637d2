"""Screenshots into tests/browser/screenshots/ (git-ignored), for a human to look at."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Page

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


def screenshot_path(name: str) -> Path:
    """``name`` made safe for a file name, with ``.png``, inside the screenshot folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "screenshot"
    return SCREENSHOTS / (safe.removesuffix(".png") + ".png")


async def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Write a PNG of ``page`` named ``name`` (e.g. "chat-en-360") and return its path."""
    path = screenshot_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(path), full_page=full_page, animations="disabled")
    return path
