"""Renderings of a diff: the web's side-by-side and inline data, the terminal, patches and JSON."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from diff_support import with_paragraphs

from tracker import render
from tracker.diff import DocumentDiff, diff_documents
from tracker.document import Document
from tracker.render import Fold, ViewRow
from tracker.seeds import load as load_seeds


def seed() -> tuple[Document, Document]:
    v1, v2 = (v.document for v in load_seeds()[:2])
    return v1, v2


def text(segments: list[render.Segment] | None) -> str:
    return "".join(s.text for s in segments or [])


def moved_and_edited() -> tuple[Document, Document, DocumentDiff]:
    """Seed v2 with paragraph 1 moved to the end and edited, and 11,000 -> 12,000."""
    _, v2 = seed()
    paras = list(v2.paragraphs)
    moving = paras.pop(1).replace("nearly five months", "almost five months")
    paras.append(moving)
    paras = [p.replace("11,000", "12,000") for p in paras]
    new = with_paragraphs(v2, paras, title="Putin signs treaty")
    return v2, new, diff_documents(v2, new)


def test_side_by_side_folds_unchanged_runs_and_numbers_changes() -> None:
    v1, v2 = seed()
    view = render.side_by_side(diff_documents(v1, v2), context=1)
    kinds = [r.kind for r in view.rows]
    assert kinds == ["added"] * 6 + ["equal", "fold"]
    assert [r.number for r in view.rows[:6]] == [1, 2, 3, 4, 5, 6]
    assert view.rows[0].anchor == "change-1"
    assert view.rows[0].left is None and text(view.rows[0].right) == v2.paragraphs[0]
    fold = view.rows[-1]
    assert isinstance(fold, Fold)
    assert (fold.count, fold.old_index, fold.new_index) == (3, 1, 7)
    assert [text(r.right) for r in fold.rows] == list(v2.paragraphs[7:])
    assert view.changes == 6 and view.stats.paragraphs_added == 6
    everything = render.side_by_side(diff_documents(v1, v2), context=5)
    assert [r.kind for r in everything.rows] == ["added"] * 6 + ["equal"] * 4


def test_side_by_side_changed_and_moved_cells() -> None:
    old, new, d = moved_and_edited()
    view = render.side_by_side(d, context=0)
    rows = [r for r in view.rows if isinstance(r, ViewRow)]
    changed = next(r for r in rows if r.kind == "changed")
    assert text(changed.left) == old.paragraphs[4]
    assert text(changed.right) == new.paragraphs[3]
    assert [s for s in changed.left if s.kind != "equal"] == [render.Segment("delete", "11,000")]
    assert [s for s in changed.right if s.kind != "equal"] == [render.Segment("insert", "12,000")]

    source = next(r for r in rows if r.kind == "moved_from")
    target = next(r for r in rows if r.kind == "moved_to")
    assert (source.anchor, source.partner) == ("move-1-from", "move-1-to")
    assert (target.anchor, target.partner) == ("move-1-to", "move-1-from")
    assert source.right is None and target.left is None
    assert text(source.left) == old.paragraphs[1]
    assert [s.text for s in source.left if s.kind == "delete"] == ["nearly"]
    assert [s.text for s in target.right if s.kind == "insert"] == ["almost"]
    assert rows.index(source) < rows.index(changed) < rows.index(target)

    [title] = view.fields
    assert (title.name, title.old, title.new) == ("title", None, "Putin signs treaty")
    assert title.segments == [render.Segment("insert", "Putin signs treaty")]


def test_inline_rows_interleave_deletions_and_insertions() -> None:
    _, _, d = moved_and_edited()
    view = render.inline(d, context=1)
    changed = next(r for r in view.rows if isinstance(r, ViewRow) and r.kind == "changed")
    kinds = [s.kind for s in changed.segments]
    assert kinds[kinds.index("delete") + 1] == "insert"
    assert changed.left is None and changed.right is None
    assert json.loads(json.dumps(view.to_json()))["changes"] == view.changes == 3


def test_single_unchanged_paragraph_is_shown_not_folded_and_no_change_folds_all() -> None:
    _, v2 = seed()
    paras = list(v2.paragraphs)
    paras[0] += " More."
    paras[2] += " More."
    view = render.side_by_side(diff_documents(v2, with_paragraphs(v2, paras)), context=0)
    assert [r.kind for r in view.rows[:3]] == ["changed", "equal", "changed"]
    same = render.inline(diff_documents(v2, v2), context=2)
    assert [r.kind for r in same.rows] == ["fold"] and same.rows[0].count == 10


@pytest.mark.parametrize("bad", [-1, 1.5, "2", True])
def test_context_must_be_a_whole_number(bad: object) -> None:
    v1, v2 = seed()
    with pytest.raises(ValueError, match="context"):
        render.side_by_side(diff_documents(v1, v2), context=bad)  # type: ignore[arg-type]


def test_terminal_markers_without_colour_and_ansi_with_it() -> None:
    _, _, d = moved_and_edited()
    plain = render.terminal(d, color=False, context=0)
    assert "[-11,000-]{+12,000+}" in plain
    assert "title: {+Putin signs treaty+}" in plain
    assert "[moved to paragraph 10] The development comes" in plain
    assert "[moved from paragraph 2] The development comes [-nearly-]{+almost+}" in plain
    assert "unchanged paragraphs …" in plain
    assert "\x1b[" not in plain
    coloured = render.terminal(d, color=True, context=0)
    assert f"{render.RED}11,000{render.RESET}{render.GREEN}12,000{render.RESET}" in coloured
    assert "{+" not in coloured and "[-" not in coloured
    _, v2 = seed()
    assert render.terminal(diff_documents(v2, v2)).endswith("no changes\n")


PATCH = shutil.which("patch")


def apply_patch(tmp_path: Path, old: Document, patch: str) -> list[str]:
    target = tmp_path / "body.txt"
    target.write_text("".join(p + "\n" for p in old.paragraphs), encoding="utf-8")
    done = subprocess.run(
        [PATCH, "--quiet", "--force", str(target)],
        input=patch.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return target.read_text(encoding="utf-8").splitlines()


@pytest.mark.skipif(PATCH is None, reason="GNU patch not installed")
@pytest.mark.parametrize("context", [0, 1, 3])
def test_unified_patch_applies_with_patch(tmp_path: Path, context: int) -> None:
    old, new, d = moved_and_edited()
    patch = render.unified(d, "v1", "v2", context=context)
    assert patch.startswith("# title: None -> 'Putin signs treaty'\n--- v1\n+++ v2\n@@ ")
    assert apply_patch(tmp_path, old, patch) == list(new.paragraphs)
    v1, v2 = seed()
    assert apply_patch(tmp_path, v1, render.unified(diff_documents(v1, v2))) == list(v2.paragraphs)


@pytest.mark.skipif(PATCH is None, reason="GNU patch not installed")
def test_unified_patch_applies_on_corpus_edits(
    tmp_path: Path,
    articles: list[Document],
) -> None:
    rnd = random.Random(5)
    for doc in articles:
        paras = list(doc.paragraphs)
        paras[rnd.randrange(len(paras))] += " Added words."
        del paras[rnd.randrange(len(paras))]
        paras.insert(rnd.randrange(len(paras)), paras.pop(rnd.randrange(len(paras))))
        paras.insert(rnd.randrange(len(paras)), "A new paragraph.")
        new = with_paragraphs(doc, paras)
        patch = render.unified(diff_documents(doc, new), context=1)
        assert apply_patch(tmp_path, doc, patch) == paras


def test_json_rendering_round_trips() -> None:
    _, _, d = moved_and_edited()
    data = json.loads(render.to_json(d))
    assert data == json.loads(json.dumps(d.to_json()))
    assert {r["kind"] for r in data["rows"]} >= {"moved_from", "moved_to", "changed", "equal"}
    assert render.unified(diff_documents(*seed()[1:] * 2)) == ""


def test_side_by_side_text_puts_old_left_and_new_right() -> None:
    old, new, d = moved_and_edited()
    out = render.side_by_side_text(d, width=90, context=0)
    assert all(len(line) <= 90 for line in out.splitlines())
    changed = [line for line in out.splitlines() if "11,000" in line or "12,000" in line]
    assert changed, out
    for line in changed:
        left, _, right = line.partition(" │ ")
        assert "12,000" not in left and "11,000" not in right
    assert "[-11,000-]" in out and "{+12,000+}" in out and "[moved ↓]" in out
    coloured = render.side_by_side_text(d, width=90, color=True)
    assert render.GREEN in coloured and "{+" not in coloured
    with pytest.raises(ValueError, match="width"):
        render.side_by_side_text(d, width=5)
