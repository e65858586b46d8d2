"""Reverse-delta chains over a story's versions: reading any version, and relinking after an insert.

Two chains run through the `version_rows` table. The text chain: the newest version keeps its body
plain in `text`; every older one holds a zstd frame in `packed`, a delta against the next newer
version (`base` is that version's id) or, every MAX_RUN + 1 versions, a whole frame (`base` NULL,
a keyframe). The raw chain does the same over the versions that archived their page (`raw`,
`raw_base`), except that the newest page is a whole frame rather than plain. Reading a version
follows `base` upwards to a whole copy (at most MAX_RUN hops) and decodes back down.

`relink` is the one write primitive: after a version row is placed at its number (appended, or
inserted between two others once the later numbers moved up), it re-encodes that version and its
older neighbour, and nothing else, keeping every run of deltas at MAX_RUN or fewer.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tracker.store.packing import MAX_RUN, RAW_LEVEL, TEXT_LEVEL, pack, unpack


@dataclass(frozen=True)
class Chain:
    blob: str  # the column holding frames
    base: str  # the column naming the version a delta is against
    plain: str | None  # the column holding the newest copy plain, if the chain keeps one
    level: int

    @property
    def member(self) -> str:
        """SQL: is this row on the chain?"""
        return "1" if self.plain else f"{self.blob} IS NOT NULL"


TEXT = Chain(blob="packed", base="base", plain="text", level=TEXT_LEVEL)
RAW = Chain(blob="raw", base="raw_base", plain=None, level=RAW_LEVEL)


def read(conn: sqlite3.Connection, chain: Chain, version_id: int) -> bytes | None:
    """The bytes a version holds on `chain` (None when it has none: no archived page)."""
    plain, v_plain = (chain.plain, f"v.{chain.plain}") if chain.plain else ("NULL", "NULL")
    rows = conn.execute(
        f"""
        WITH RECURSIVE hops(id, plain, blob, base, depth) AS (
            SELECT id, {plain}, {chain.blob}, {chain.base}, 0 FROM version_rows WHERE id = ?
            UNION ALL
            SELECT v.id, {v_plain}, v.{chain.blob}, v.{chain.base}, h.depth + 1
            FROM version_rows v JOIN hops h ON v.id = h.base
            WHERE h.plain IS NULL AND h.depth <= {MAX_RUN + 1}
        )
        SELECT plain, blob, base FROM hops ORDER BY depth DESC
        """,
        [version_id],
    ).fetchall()
    if not rows:
        return None
    data: bytes | None = None
    for text, blob, base in rows:
        if text is not None:
            data = text.encode()
        elif blob is None:
            return None
        else:
            data = unpack(blob, data if base is not None else None)
    return data


class StoryTexts:
    """The bodies of one story's versions, its rows read once and each frame decoded once
    (shared hops), for a caller that reads several versions one after another (search).
    `ids` is {number: id}, `numbers` its keys in order and `titles` {id: headline}, from the
    same one query."""

    def __init__(self, conn: sqlite3.Connection, story_id: int) -> None:
        self.rows: dict[int, tuple[str | None, bytes | None, int | None]] = {}
        self.ids: dict[int, int] = {}
        self.titles: dict[int, str | None] = {}
        for i, number, title, text, packed, base in conn.execute(
            "SELECT id, number, title, text, packed, base FROM versions WHERE story_id = ?",
            [story_id],
        ):
            self.rows[int(i)] = (text, packed, base)
            self.ids[int(number)] = int(i)
            self.titles[int(i)] = title
        self.numbers = sorted(self.ids)
        self.known: dict[int, bytes] = {}

    def get(self, version_ids: list[int]) -> dict[int, str]:
        rows, known = self.rows, self.known
        for wanted in version_ids:
            path = [wanted]
            while path[-1] not in known and rows[path[-1]][0] is None and rows[path[-1]][2]:
                path.append(int(rows[path[-1]][2]))
            for version_id in reversed(path):
                if version_id in known:
                    continue
                text, packed, base = rows[version_id]
                if text is not None:
                    known[version_id] = text.encode()
                else:
                    known[version_id] = unpack(packed, known[int(base)] if base else None)
        return {i: known[i].decode() for i in version_ids}


def read_text(conn: sqlite3.Connection, version_id: int) -> str:
    data = read(conn, TEXT, version_id)
    return data.decode() if data is not None else ""


def relink(conn: sqlite3.Connection, chain: Chain, story_id: int, number: int) -> None:
    """Re-encode version `number` and its older neighbour on `chain` after it was placed there.

    The new row must hold its data whole: plain in `text` (text chain) or a whole frame in `raw`
    with `raw_base` NULL (raw chain). Its older neighbour may hold anything the chain allowed
    before the insert. Both get a delta against their newer neighbour, unless that would make a
    run of deltas longer than MAX_RUN, in which case one of them is kept whole (a keyframe).
    """
    me = _member(conn, chain, story_id, "number = ?", [number])
    if me is None:
        return
    prev = _member(conn, chain, story_id, "number < ? ORDER BY number DESC LIMIT 1", [number])
    nxt = _member(conn, chain, story_id, "number > ? ORDER BY number LIMIT 1", [number])
    mine = read(conn, chain, me[0]) or b""
    prev_data = read(conn, chain, prev[0]) if prev else None
    prev_was_top = prev is not None and nxt is None
    prev_keyframe = prev is not None and not prev_was_top and prev[2] is None
    # the nearest whole copy below that stays whole
    lower = _lowest_whole_below(
        conn, chain, story_id, number, skip=prev[1] if prev_was_top else None
    )
    if nxt is None:
        run = _count(conn, chain, story_id, lower, number)
        _set_whole(conn, chain, me[0], mine, top=True)
        if prev is not None and not prev_keyframe:
            if run > MAX_RUN:
                _set_whole(conn, chain, prev[0], prev_data or b"", top=False)
            else:
                _set_delta(conn, chain, prev[0], prev_data or b"", mine, me[0])
        return
    upper = _whole_above(conn, chain, story_id, number)
    run = _count(conn, chain, story_id, lower, upper)
    if run > MAX_RUN:
        _set_whole(conn, chain, me[0], mine, top=False)
    else:
        _set_delta(conn, chain, me[0], mine, read(conn, chain, nxt[0]) or b"", nxt[0])
    if prev is not None and not prev_keyframe:
        _set_delta(conn, chain, prev[0], prev_data or b"", mine, me[0])


def _member(
    conn: sqlite3.Connection, chain: Chain, story_id: int, where: str, params: list[int]
) -> tuple[int, int, int | None] | None:
    row = conn.execute(
        f"SELECT id, number, {chain.base} FROM version_rows "
        f"WHERE story_id = ? AND {chain.member} AND {where}",
        [story_id, *params],
    ).fetchone()
    return (int(row[0]), int(row[1]), row[2]) if row else None


def _whole(chain: Chain) -> str:
    plain = f"{chain.plain} IS NOT NULL OR " if chain.plain else ""
    return f"({plain}({chain.blob} IS NOT NULL AND {chain.base} IS NULL))"


def _lowest_whole_below(
    conn: sqlite3.Connection, chain: Chain, story_id: int, number: int, skip: int | None
) -> int:
    row = conn.execute(
        f"SELECT max(number) FROM version_rows WHERE story_id = ? AND number < ? AND number != ? "
        f"AND {chain.member} AND {_whole(chain)}",
        [story_id, number, -1 if skip is None else skip],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _whole_above(conn: sqlite3.Connection, chain: Chain, story_id: int, number: int) -> int:
    row = conn.execute(
        f"SELECT min(number) FROM version_rows WHERE story_id = ? AND number > ? "
        f"AND {chain.member} AND {_whole(chain)}",
        [story_id, number],
    ).fetchone()
    return int(row[0]) if row and row[0] is not None else number + 1


def _count(conn: sqlite3.Connection, chain: Chain, story_id: int, low: int, high: int) -> int:
    """Chain members strictly between versions `low` and `high`."""
    row = conn.execute(
        f"SELECT count(*) FROM version_rows WHERE story_id = ? AND number > ? AND number < ? "
        f"AND {chain.member}",
        [story_id, low, high],
    ).fetchone()
    return int(row[0])


def _rewrite(conn: sqlite3.Connection, version_id: int, values: dict[str, object]) -> None:
    """Set some columns of a version row that is getting smaller.

    An UPDATE that shrinks a row leaves its b-tree page as empty as it made it (SQLite merges
    underfull pages after a DELETE, not after an UPDATE), and here every version shrinks once,
    from a whole article to a delta: updated in place, the table would stay five times its size.
    So the row is deleted and inserted again with the same id, unless some row refers to it (a
    foreign key would cascade), in which case it is updated in place.
    """
    if _referenced(conn, version_id):
        sets = ", ".join(f"{k} = ?" for k in values)
        conn.execute(f"UPDATE version_rows SET {sets} WHERE id = ?", [*values.values(), version_id])
        return
    cur = conn.execute("SELECT * FROM version_rows WHERE id = ?", [version_id])
    row = dict(zip([d[0] for d in cur.description], cur.fetchone(), strict=True))
    row.update(values)
    conn.execute("DELETE FROM version_rows WHERE id = ?", [version_id])
    conn.execute(
        f"INSERT INTO version_rows ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )


def _referenced(conn: sqlite3.Connection, version_id: int) -> bool:
    for (table,) in conn.execute(
        "SELECT name FROM sqlite_master "
        "WHERE type = 'table' AND sql LIKE '%REFERENCES%version_rows%'"
    ).fetchall():
        for key in conn.execute(f"PRAGMA foreign_key_list({table})").fetchall():
            if (
                key[2] == "version_rows"
                and conn.execute(
                    f"SELECT 1 FROM {table} WHERE {key[3]} = ? LIMIT 1", [version_id]
                ).fetchone()
            ):
                return True
    return False


def _set_whole(
    conn: sqlite3.Connection, chain: Chain, version_id: int, data: bytes, *, top: bool
) -> None:
    if chain.plain and top:
        values = {chain.plain: data.decode(), chain.blob: None, chain.base: None}
    else:
        values = {chain.blob: pack(data, None, chain.level), chain.base: None}
        if chain.plain:
            values[chain.plain] = None
    _rewrite(conn, version_id, values)


def _set_delta(
    conn: sqlite3.Connection,
    chain: Chain,
    version_id: int,
    data: bytes,
    base: bytes,
    base_id: int,
) -> None:
    values: dict[str, object] = {chain.blob: pack(data, base, chain.level), chain.base: base_id}
    if chain.plain:
        values[chain.plain] = None
    _rewrite(conn, version_id, values)


def pack_story(
    chain: Chain, ids: list[int], datas: list[bytes | None]
) -> list[tuple[bytes | None, int | None]]:
    """(frame, base id) for each version of a whole story at once, oldest first, laid out as
    appending them one by one would; the newest member's frame is whole (the caller keeps it
    plain on the text chain). Versions without data (no archived page) get (None, None)."""
    members = [i for i, d in enumerate(datas) if d is not None]
    out: list[tuple[bytes | None, int | None]] = [(None, None)] * len(ids)
    for pos, i in enumerate(members):
        data = datas[i] or b""
        above = members[pos + 1] if pos + 1 < len(members) else None
        if above is None or (pos + 1) % (MAX_RUN + 1) == 0:
            out[i] = (pack(data, None, chain.level), None)
        else:
            out[i] = (pack(data, datas[above], chain.level), ids[above])
    return out
