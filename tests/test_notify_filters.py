"""Who gets told about a change: size, kind and developing filters, scopes and digest timing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from notify_support import BASE, big_edit, edit, new_story

from tracker.config import Settings
from tracker.document import Document
from tracker.notify.digest import next_boundary
from tracker.notify.filters import wants
from tracker.notify.message import brief, build_notice
from tracker.record import record
from tracker.store import Store


def _deliveries_for(store: Store, sub_id: int) -> list[dict]:
    return [d for d in store.list_deliveries() if d["subscription_id"] == sub_id]


def test_typo_level_edit_stays_silent_but_real_edit_is_queued(store: Store) -> None:
    story_id = new_story(store)
    sub = store.add_subscription(
        scope="story", story_id=story_id, channel="webhook", target="http://x.test/", min_words=3
    )
    typo = [BASE[0].replace("Tuesday to", "Tuesday, to"), BASE[1], BASE[2]]
    change_id = edit(store, story_id, typo)
    assert store.get_change(change_id)["size"] < 3
    assert _deliveries_for(store, sub) == []

    real = big_edit(store, story_id)
    assert [d["change_id"] for d in _deliveries_for(store, sub)] == [real]


def test_kind_filter_fires_on_headline_only(store: Store) -> None:
    story_id = new_story(store)
    sub = store.add_subscription(
        scope="all", channel="webhook", target="http://x.test/", kinds=["headline"]
    )
    big_edit(store, story_id)
    assert _deliveries_for(store, sub) == []
    headline = edit(store, story_id, list(BASE), title="Harbour budget approved")
    assert [d["change_id"] for d in _deliveries_for(store, sub)] == [headline]


def test_developing_only_and_feed_scope(store: Store) -> None:
    feed_id, _ = store.add_feed("https://news.example/feed.xml")
    story_id, _ = store.add_story("https://news.example/in-feed", feed_id=feed_id)
    other = new_story(store, "https://news.example/elsewhere")
    record(store, story_id, Document(title="Harbour budget", paragraphs=tuple(BASE)))
    developing = store.add_subscription(
        scope="all", channel="webhook", target="http://x.test/", developing_only=True
    )
    in_feed = store.add_subscription(
        scope="feed", feed_id=feed_id, channel="webhook", target="http://x.test/"
    )
    big_edit(store, other)
    assert _deliveries_for(store, developing) == [] and _deliveries_for(store, in_feed) == []
    paras = [*BASE, "This is a developing story and will be updated."]
    became_developing = edit(store, story_id, paras)
    assert store.get_story(story_id)["developing"]
    paras[1] = paras[1].replace("12 million", "13 million")
    change_id = edit(store, story_id, paras)
    announced = sorted(d["change_id"] for d in _deliveries_for(store, developing))
    assert announced == [became_developing, change_id]
    assert change_id in [d["change_id"] for d in _deliveries_for(store, in_feed)]


@pytest.mark.parametrize(
    ("asked", "change", "expected"),
    [
        ([], {"kind": "typo", "kinds": ["typo"], "size": 2}, False),
        (["typo"], {"kind": "typo", "kinds": ["typo"], "size": 2}, True),
        (["any"], {"kind": "typo", "kinds": ["typo"], "size": 2}, True),
        ([], {"kind": "numbers", "kinds": ["numbers", "typo"], "size": 4}, True),
        (["correction"], {"kind": "numbers", "kinds": ["numbers"], "size": 4}, False),
        (["correction", "numbers"], {"kind": "edit", "kinds": ["numbers"], "size": 4}, True),
        ([], {"kind": "edit", "size": None}, True),
    ],
)
def test_kind_rules(asked: list[str], change: dict, expected: bool) -> None:
    assert wants({"kinds": asked, "min_words": 0}, {"developing": 0}, change) is expected


def test_digest_deliveries_wait_for_the_boundary(store: Store) -> None:
    story_id = new_story(store)
    sub = store.add_subscription(
        scope="all", channel="webhook", target="http://x.test/", mode="hourly"
    )
    big_edit(store, story_id)
    (row,) = _deliveries_for(store, sub)
    moment = datetime.strptime(row["next_attempt_at"], "%Y-%m-%dT%H:%M:%SZ")
    assert moment.minute == 0 and moment.second == 0
    assert row["next_attempt_at"] > row["created_at"]


def test_boundaries() -> None:
    at = datetime(2024, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert next_boundary("hourly", at) == "2025-01-01T00:00:00Z"
    assert next_boundary("daily", at) == "2025-01-01T00:00:00Z"
    exact = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
    assert next_boundary("hourly", exact) == "2024-05-01T11:00:00Z"
    assert next_boundary("daily", exact) == "2024-05-02T00:00:00Z"
    with pytest.raises(ValueError, match="hourly, daily"):
        next_boundary("weekly", exact)


@pytest.mark.parametrize("limit", [60, 140, 500, 2000])
def test_chat_message_is_cut_to_the_service_limit_and_keeps_the_link(
    store: Store, limit: int
) -> None:
    story_id = new_story(store)
    long_para = " ".join(f"word{i}" for i in range(800))
    change_id = edit(store, story_id, [*BASE, long_para])
    notice = build_notice(store, Settings(base_url="https://d.test"), change_id)
    text = brief([notice], limit)
    assert len(text) <= limit
    assert text.endswith(f"https://d.test/stories/{story_id}/diff/1..2")
    assert text.startswith("Harbour budget")
    if limit >= 500:
        assert "{+word0" in text
