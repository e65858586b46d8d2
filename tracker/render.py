"""Text renderings of a Diff: the terminal (colours or wdiff-style markers), unified patch, JSON.

HTML renderings live with the web app's templates; they read the same Diff structure.
INTERIM VERSION (foundation issue); the diff-engine issue completes it.
"""

from __future__ import annotations

import difflib
import json

from tracker.diff import DocumentDiff, Row

GREEN, RED, DIM, BOLD, RESET = "\x1b[32m", "\x1b[31;9m", "\x1b[2m", "\x1b[1m", "\x1b[0m"


def _ops_text(row: Row, color: bool) -> str:
    out = []
    for op in row.ops:
        if op.op == "equal":
            out.append(op.text)
        elif op.op == "insert":
            out.append(f"{GREEN}{op.text}{RESET}" if color else f"{{+{op.text}+}}")
        else:
            out.append(f"{RED}{op.text}{RESET}" if color else f"[-{op.text}-]")
    return "".join(out)


def terminal(ddiff: DocumentDiff, *, color: bool = False, context: int = 1) -> str:
    """A word diff for people: changed paragraphs with `context` unchanged ones around them."""
    lines: list[str] = []
    for name, (old, new) in ddiff.fields.items():
        if color:
            lines.append(
                f"{BOLD}{name}:{RESET} {RED}{old or ''}{RESET} -> {GREEN}{new or ''}{RESET}"
            )
        else:
            lines.append(f"{name}: [-{old or ''}-] {{+{new or ''}+}}")
    rows = ddiff.body.rows
    keep = {i for i, r in enumerate(rows) if r.kind != "equal"}
    shown = {j for i in keep for j in range(i - context, i + context + 1) if 0 <= j < len(rows)}
    last = -1
    for i, row in enumerate(rows):
        if i not in shown:
            continue
        if last != -1 and i != last + 1:
            lines.append(f"{DIM}…{RESET}" if color else "…")
        last = i
        if row.kind == "equal":
            lines.append(f"{DIM}{row.new}{RESET}" if color else f"  {row.new}")
        else:
            lines.append(_ops_text(row, color))
        lines.append("")
    if not ddiff.changed:
        lines.append("no changes")
    return "\n".join(lines).rstrip() + "\n"


def unified(
    ddiff: DocumentDiff, old_label: str = "old", new_label: str = "new", context: int = 1
) -> str:
    """A unified patch over paragraphs (one paragraph a line), for tools that read patches."""
    old = [r.old for r in ddiff.body.rows if r.old is not None and r.kind != "moved_to"]
    new = [r.new for r in ddiff.body.rows if r.new is not None and r.kind != "moved_from"]
    head = [f"# {k}: {o!r} -> {n!r}\n" for k, (o, n) in ddiff.fields.items()]
    body = difflib.unified_diff(
        [p + "\n" for p in old], [p + "\n" for p in new], old_label, new_label, n=context
    )
    return "".join(head) + "".join(body)


def to_json(ddiff: DocumentDiff) -> str:
    return json.dumps(ddiff.to_json(), ensure_ascii=False, indent=2)
