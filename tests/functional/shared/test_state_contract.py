"""One contract for every state backend (SQLite and DynamoDB via moto), concurrency included."""

from __future__ import annotations

import threading

import pytest

from tests.functional.shared.conftest import FakeClock
from thoth.shared.errors import StateError
from thoth.shared.state import StateStore


def test_get_absent_is_none(state: StateStore) -> None:
    assert state.get("p", "s") is None


def test_put_get_and_rev_increments(state: StateStore) -> None:
    first = state.put("p", "s", {"n": 1, "nested": {"x": [1, 2.5, "z"]}})
    second = state.put("p", "s", {"n": 2})
    assert second.rev == first.rev + 1
    item = state.get("p", "s")
    assert item is not None and item.value == {"n": 2} and item.rev == second.rev


def test_create_if_absent(state: StateStore) -> None:
    assert state.create("p", "lock", {"owner": "a"}) is not None
    assert state.create("p", "lock", {"owner": "b"}) is None
    item = state.get("p", "lock")
    assert item is not None and item.value == {"owner": "a"}


def test_compare_and_swap(state: StateStore) -> None:
    created = state.put("live", "handbook", {"version": "v1"})
    assert state.swap("live", "handbook", {"version": "v2"}, expected_rev=created.rev + 5) is None
    swapped = state.swap("live", "handbook", {"version": "v2"}, expected_rev=created.rev)
    assert swapped is not None and swapped.value == {"version": "v2"}
    # the old rev is stale now
    assert state.swap("live", "handbook", {"version": "v3"}, expected_rev=created.rev) is None
    assert state.swap("live", "absent", {"version": "v1"}, expected_rev=1) is None


def test_ttl_expiry_hides_item_and_frees_create(state: StateStore, clock: FakeClock) -> None:
    state.create("src", "lock", {"owner": "crashed"}, ttl_s=60)
    clock.now += 30
    assert state.get("src", "lock") is not None
    assert state.create("src", "lock", {"owner": "other"}) is None
    clock.now += 31
    assert state.get("src", "lock") is None
    assert state.query("src") == []
    taken = state.create("src", "lock", {"owner": "other"}, ttl_s=60)
    assert taken is not None and taken.value == {"owner": "other"}


def test_swap_of_expired_item_fails(state: StateStore, clock: FakeClock) -> None:
    item = state.put("src", "lock", {"owner": "a"}, ttl_s=10)
    clock.now += 11
    assert state.swap("src", "lock", {"owner": "a"}, expected_rev=item.rev, ttl_s=10) is None


def test_put_without_ttl_clears_previous_ttl(state: StateStore, clock: FakeClock) -> None:
    state.put("p", "s", {"v": 1}, ttl_s=10)
    state.put("p", "s", {"v": 2})
    clock.now += 100
    item = state.get("p", "s")
    assert item is not None and item.expires_at is None


def test_delete(state: StateStore) -> None:
    item = state.put("p", "s", {"v": 1})
    assert state.delete("p", "s", expected_rev=item.rev + 1) is False
    assert state.get("p", "s") is not None
    assert state.delete("p", "s", expected_rev=item.rev) is True
    assert state.get("p", "s") is None
    assert state.delete("p", "s") is False


def test_query_by_prefix_sorted(state: StateStore) -> None:
    for sk in ["file#b.md", "file#a.md", "run#2", "file#c/d.md"]:
        state.put("source#handbook", sk, {"sk": sk})
    state.put("source#other", "file#z.md", {})
    found = [item.sk for item in state.query("source#handbook", "file#")]
    assert found == ["file#a.md", "file#b.md", "file#c/d.md"]
    assert len(state.query("source#handbook")) == 4
    assert state.query("nothing-here") == []


@pytest.mark.parametrize(
    "value", [["not", "a", "dict"], {"nan": float("nan")}, {"obj": object()}, {"big": "x" * 400_000}]
)
def test_bad_values_are_rejected(state: StateStore, value: object) -> None:
    with pytest.raises(StateError):
        state.put("p", "s", value)  # type: ignore[arg-type]
    assert state.get("p", "s") is None


@pytest.mark.parametrize(("pk", "sk"), [("", "s"), ("p", ""), ("p\0", "s"), ("p", "x" * 2000)])
def test_bad_keys_are_rejected(state: StateStore, pk: str, sk: str) -> None:
    with pytest.raises(StateError):
        state.put(pk, sk, {})


def test_bad_ttl_is_rejected(state: StateStore) -> None:
    with pytest.raises(StateError, match="ttl_s"):
        state.put("p", "s", {}, ttl_s=0)


def test_concurrent_create_exactly_one_wins(state: StateStore) -> None:
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def contend(worker: int) -> None:
        barrier.wait()
        if state.create("source#handbook", "lock", {"owner": worker}, ttl_s=300) is not None:
            winners.append(worker)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    item = state.get("source#handbook", "lock")
    assert item is not None and item.value == {"owner": winners[0]}


def test_concurrent_swap_exactly_one_wins(state: StateStore) -> None:
    base = state.put("live", "handbook", {"version": "v0"})
    winners: list[int] = []
    barrier = threading.Barrier(8)

    def contend(worker: int) -> None:
        barrier.wait()
        if state.swap("live", "handbook", {"version": f"v{worker}"}, expected_rev=base.rev) is not None:
            winners.append(worker)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1
    item = state.get("live", "handbook")
    assert item is not None and item.value == {"version": f"v{winners[0]}"}
    assert item.rev == base.rev + 1
