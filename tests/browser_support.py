"""What the browser tests share besides fixtures: the live server handle, payloads, screenshots."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots"
AXE = ROOT / "build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1366, "height": 900}
MOBILE = {"width": 390, "height": 844}
# axe-core's WCAG 2.x A/AA rules and its best practices, violations only.
_AXE_RUN = """async () => {
  const r = await axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => v.id + ' (' + v.impact + '): ' +
    v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(' | '));
}"""
PAYLOAD = "<script>alert('title')</script><img src=x onerror=\"alert('img')\">"


@dataclass
class Live:
    url: str
    ids: dict[str, int] = field(default_factory=dict)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def axe_source() -> Path:
    """axe-core's script, installed by scripts/npm-deps (run here if `make test` did not)."""
    if not AXE.exists():
        subprocess.run(["bash", str(ROOT / "scripts" / "npm-deps")], check=True, timeout=300)
    return AXE


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page as it is now (axe is injected by the context)."""
    return list(page.evaluate(_AXE_RUN))


def overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )
