"""What the browser tests share besides fixtures: the live server handle, payloads, screenshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"
PAYLOAD = "<script>alert('title')</script><img src=x onerror=\"alert('img')\">"


@dataclass
class Live:
    url: str
    ids: dict[str, int] = field(default_factory=dict)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
