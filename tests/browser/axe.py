"""Accessibility checks with axe-core (node_modules/axe-core, pinned in package-lock.json).

``violations = await axe(page)`` runs axe inside the page's current document and
returns the violations of impact *serious* or *critical*::

    violations = await axe(page)
    assert not violations, format_violations(violations)

The page's CSP allows no inline script and no eval, so a ``<script>`` tag with
axe's source (``page.add_script_tag(content=...)``) is refused. ``page.evaluate``
of the source is not: Playwright evaluates through the DevTools protocol
(``Runtime.evaluate``), which the page's CSP does not govern, and axe itself needs
no eval. So no ``bypass_csp`` context is needed and the page runs under its real
policy while it is checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from tests.conftest import missing_service

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

_RUN = """async ([tags, selector]) => {
  const options = tags ? {runOnly: {type: 'tag', values: tags}} : {};
  const context = selector ? document.querySelector(selector) : document;
  const result = await window.axe.run(context, options);
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String), html: n.html, summary: n.failureSummary || ''})),
  }));
}"""


@dataclass(frozen=True, slots=True)
class AxeNode:
    target: tuple[str, ...]
    html: str
    summary: str


@dataclass(frozen=True, slots=True)
class AxeViolation:
    id: str
    impact: str
    help: str
    help_url: str
    nodes: tuple[AxeNode, ...]

    def __str__(self) -> str:
        lines = [f"[{self.impact}] {self.id}: {self.help} ({self.help_url})"]
        for node in self.nodes:
            lines.append(f"    at {' '.join(node.target)}: {node.html[:200]}")
            for line in node.summary.splitlines():
                if line.strip():
                    lines.append(f"      {line.strip()}")
        return "\n".join(lines)


@cache
def axe_source() -> str:
    if not AXE_JS.is_file():
        missing_service("node_modules/axe-core is missing: run npm ci")
    return AXE_JS.read_text(encoding="utf-8")


async def inject_axe(page: Page) -> None:
    """Load axe into the page's current document (again after every navigation)."""
    if not await page.evaluate("typeof window.axe === 'object'"):
        await page.evaluate(axe_source())


async def axe(
    page: Page,
    *,
    tags: list[str] | None = None,
    selector: str | None = None,
    impacts: tuple[str, ...] = SERIOUS,
) -> list[AxeViolation]:
    """axe's violations of ``impacts`` (serious, critical) in ``page`` (or ``selector``).

    ``tags`` limits the rules (e.g. ``["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]``);
    None runs axe's default set (every rule but the experimental ones).
    """
    await inject_axe(page)
    raw: list[dict[str, Any]] = await page.evaluate(_RUN, [tags, selector])
    return [
        AxeViolation(
            v["id"],
            v["impact"] or "",
            v["help"],
            v["helpUrl"],
            tuple(AxeNode(tuple(n["target"]), n["html"], n["summary"]) for n in v["nodes"]),
        )
        for v in raw
        if v["impact"] in impacts
    ]


def format_violations(violations: list[AxeViolation], where: str = "") -> str:
    """Readable text for an assertion message."""
    head = f"{len(violations)} serious/critical accessibility violation(s)"
    head += f" in {where}" if where else ""
    return head + ":\n" + "\n".join(str(v) for v in violations)


async def assert_accessible(page: Page, where: str = "", **options: Any) -> None:
    """Fail with a readable list when axe finds serious or critical violations."""
    violations = await axe(page, **options)
    assert not violations, format_violations(violations, where or page.url)
