"""The paragraph level: alignment, moves, pairs, rows, the mirror for symmetry, and stats."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tracker.diff.align import Clock, align
from tracker.diff.model import Diff, EqualRun, Op, Row, RowKind, Stats
from tracker.diff.pairing import Paragraphs, match
from tracker.diff.tokens import WordCounts
from tracker.diff.words import mirror_ops, pair_ops, shares_enough

KEEP_FLOOR = 0.3
"""Below this share of common words after the word diff, a pair is shown as removed + added."""


def diff_paragraph_lists(
    old: Sequence[str],
    new: Sequence[str],
    clock: Clock,
    old_chars: int,
    head: int,
    shift: int = 0,
) -> Diff:
    """The diff of two paragraph lists; `old_chars` (the old paragraphs' total length) and
    `head` (how many paragraphs they share at the start), which the caller found, spare
    measuring the unchanged ones again. The rows' indices are counted from `shift` (the
    lists are the middle of longer ones)."""
    count = WordCounts()
    a, b = Paragraphs(old, count), Paragraphs(new, count)
    blocks: list[list[int]] = []  # [is_change, i0, i1, j0, j1]
    i = j = 0
    for op, n in align(old, new, clock, head):
        if op == 0:
            blocks.append([0, i, i + n, j, j + n])
            i, j = i + n, j + n
            continue
        if not blocks or not blocks[-1][0]:
            blocks.append([1, i, i, j, j])
        if op < 0:
            i += n
            blocks[-1][2] = i
        else:
            j += n
            blocks[-1][4] = j

    runs = [(range(blk[1], blk[2]), range(blk[3], blk[4])) for blk in blocks if blk[0]]
    ends: dict[tuple[int, int], tuple[int, int]] = {}  # the pairing's shared_ends
    pairs, moves = match(runs, a, b, clock, ends) if runs else ({}, {})

    # word diffs inside pairs and moves; a pair with too little in common is split again
    ops_of: dict[tuple[int, int], list[Op]] = {}
    for i, j in list(pairs.items()) + list(moves.items()):
        if old[i] == new[j]:
            ops_of[i, j] = [Op("equal", old[i])]
        elif clock.out():
            clock.degrade("paragraphs")
            ops_of[i, j] = [Op("delete", old[i]), Op("insert", new[j])]
        else:
            known = ends.get((i, j))
            if known and (a.collapsed(i) is not old[i] or b.collapsed(j) is not new[j]):
                known = None  # found on texts whose whitespace was collapsed
            ops, cut = pair_ops(old[i], new[j], clock, count, known)
            if i in pairs and not shares_enough(old[i], new[j], ops, cut, count, KEEP_FLOOR):
                del pairs[i]
                continue
            ops_of[i, j] = ops
    source_of = {j: i for i, j in moves.items()}
    target_of = dict(moves)

    parts: list[Row | EqualRun] = []  # runs of unchanged paragraphs stay one part each
    rows: list[Row] = []  # the rows that are not equal
    unchanged_chars = 2 * old_chars
    k = shift
    move_ids: dict[int, int] = {}
    for j in sorted(source_of):
        move_ids[source_of[j]] = len(move_ids) + 1
    for is_change, i0, i1, j0, j1 in blocks:
        if not is_change:
            parts.append(EqualRun(i0 + shift, j0 + shift, i1 - i0, old, i0))
            continue
        unchanged_chars -= 2 * sum(map(len, old[i0:i1]))
        first = len(rows)
        oi, nj = i0, j0
        run_pairs = sorted((i, pairs[i]) for i in range(i0, i1) if i in pairs)
        for pi, pj in [*run_pairs, (i1, j1)]:
            for i in range(oi, pi):
                text = old[i]
                if i in target_of:
                    rows.append(
                        Row("moved_from", i + k, None, text, None, [Op("equal", text)], move_ids[i])
                    )
                else:
                    rows.append(Row("removed", i + k, None, text, None, [Op("delete", text)]))
            for j in range(nj, pj):
                if j in source_of:
                    i = source_of[j]
                    rows.append(
                        Row("moved_to", i + k, j + k, old[i], new[j], ops_of[i, j], move_ids[i])
                    )
                else:
                    rows.append(Row("added", None, j + k, None, new[j], [Op("insert", new[j])]))
            if pi < i1:
                rows.append(Row("changed", pi + k, pj + k, old[pi], new[pj], ops_of[pi, pj]))
            oi, nj = pi + 1, pj + 1
        parts += rows[first:]
    return Diff.of_parts(
        parts, lambda: stats_of(rows, unchanged_chars, count), clock.degraded, clock.elapsed_ms()
    )


_SWAPPED_KIND: dict[RowKind, RowKind] = {"added": "removed", "removed": "added"}


def mirror(d: Diff) -> Diff:
    """Turn diff(new, old) into diff(old, new): sides, kinds and ops swapped, moves re-anchored.

    Diffs are computed in one canonical direction and mirrored for the other, so swapping the
    arguments swaps additions and removals exactly, whatever tie-breaks the alignment made.
    A run of unchanged paragraphs is turned around as a whole.
    """
    parts = d.parts()
    partner = {r.move_id: r for r in parts if isinstance(r, Row) and r.kind == "moved_to"}
    turned: list[Row | EqualRun] = []
    for r in parts:
        if isinstance(r, EqualRun):
            turned.append(EqualRun(r.new_index, r.old_index, r.count, r.texts, r.start))
            continue
        kind = r.kind
        if kind == "equal":
            turned.append(Row("equal", r.new_index, r.old_index, r.new, r.old, r.ops))
        elif kind == "moved_from":  # its place is on the new side now: that is where it went
            p = partner[r.move_id]
            turned.append(
                Row("moved_to", p.new_index, r.old_index, p.new, r.old, mirror_ops(p.ops))
            )
        elif kind == "moved_to":
            turned.append(
                Row("moved_from", r.new_index, None, r.new, None, [Op("equal", r.new or "")])
            )
        else:
            kind = _SWAPPED_KIND.get(kind, kind)
            turned.append(Row(kind, r.new_index, r.old_index, r.new, r.old, mirror_ops(r.ops)))
    # within each stretch between rows on both sides, old-side rows come first, as when diffing
    ordered: list[Row | EqualRun] = []
    stretch: list[Row] = []
    for r in turned:
        if isinstance(r, EqualRun) or r.kind == "equal" or r.kind == "changed":
            if stretch:
                ordered += sorted(stretch, key=lambda x: not x.on_old_side)
                stretch.clear()
            ordered.append(r)
        else:
            stretch.append(r)
    ordered += sorted(stretch, key=lambda x: not x.on_old_side)
    ids: dict[int | None, int] = {}
    for r in ordered:
        if isinstance(r, Row) and r.kind == "moved_to":
            ids[(r.old_index)] = len(ids) + 1
    if ids:
        for r in ordered:
            if isinstance(r, Row) and r.kind in ("moved_to", "moved_from"):
                r.move_id = ids[r.old_index]
    return Diff.of_parts(ordered, lambda: mirror_stats(d.stats), d.degraded, d.elapsed_ms)


def mirror_stats(s: Stats) -> Stats:
    m = Stats(**vars(s))  # a new Stats field is carried over, not silently dropped
    m.words_added, m.words_removed = s.words_removed, s.words_added
    m.paragraphs_added, m.paragraphs_removed = s.paragraphs_removed, s.paragraphs_added
    return m


def stats_of(rows: list[Row], unchanged_chars: int, count: Callable[[str], int]) -> Stats:
    """Word and paragraph counts of the rows that are not equal. Only those paragraphs are
    counted word by word; the unchanged ones are only measured (see `share_changed`)."""
    stats = Stats()
    changed_chars = changed_words = added = removed = replaced = 0  # (locals: read per op)
    for row in rows:
        kind = row.kind
        if kind == "changed":
            stats.paragraphs_changed += 1
        elif kind == "added":
            stats.paragraphs_added += 1
        elif kind == "removed":
            stats.paragraphs_removed += 1
        elif kind == "moved_to":
            stats.paragraphs_moved += 1
        old_side, new_side = row.on_old_side, row.on_new_side
        deleted = 0
        for op in row.ops:
            n = count(op.text)
            what = op.op
            if what == "equal":
                changed_words += n * (old_side + new_side)
                deleted = 0
            elif what == "delete":
                changed_words += n * old_side
                removed += n
                deleted = n
            else:
                changed_words += n
                added += n
                replaced += deleted if deleted < n else n
                deleted = 0
        changed_chars += len(row.old or "") * old_side + len(row.new or "") * new_side
    stats.words_added, stats.words_removed, stats.words_changed = added, removed, replaced
    stats.share_changed = share_changed(
        added + removed, changed_words, changed_chars, unchanged_chars
    )
    return stats


def share_changed(
    words_changed: int, changed_words: int, changed_chars: int, unchanged_chars: int
) -> float:
    """(words added + removed) / (words in old + words in new), from 0 to 1, rounded to 4 places.

    The words of the changed paragraphs (both sides) are counted; those of the unchanged ones
    are estimated as their characters times the changed paragraphs' words per character. That
    keeps the cost proportional to what changed: an unchanged paragraph is never counted.
    """
    if not words_changed or not changed_chars:
        return 0.0
    total = changed_words + unchanged_chars * changed_words / changed_chars
    return round(min(1.0, words_changed / total), 4) if total else 0.0
