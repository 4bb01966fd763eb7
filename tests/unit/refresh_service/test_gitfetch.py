"""The remote fetch: the window first, depth 1 when refused, bad credentials never tried twice."""

from __future__ import annotations

from typing import Any

import pytest
from dulwich.client import FetchPackResult, HTTPUnauthorized
from dulwich.errors import HangupException
from dulwich.repo import MemoryRepo

from thoth.refresh_service.sources.gitfetch import DAY_S, fetch_history

SHA = b"a" * 40
NOW = 1_800_000_000.0


class Client:
    """Records each fetch's depth and shallow_since; fails those `refuse` says to."""

    def __init__(self, refuse: BaseException | None = None) -> None:
        self.calls: list[tuple[int | None, str | None]] = []
        self.refuse = refuse

    def fetch(self, path: bytes, target: Any, **kwargs: Any) -> FetchPackResult:
        self.calls.append((kwargs["depth"], kwargs["shallow_since"]))
        if self.refuse is not None and kwargs["shallow_since"] is not None:
            raise self.refuse
        return FetchPackResult({b"refs/heads/main": SHA}, {b"HEAD": b"refs/heads/main"}, None)


def fetch(client: Client) -> dict[bytes, bytes]:
    return fetch_history(
        MemoryRepo(), client, "/repo", history_days=90, since=None, tip=lambda r: None, now=NOW
    )


def test_the_window_is_asked_for_as_a_unix_time() -> None:
    client = Client()
    refs = fetch(client)
    assert client.calls == [(None, str(int(NOW - 90 * DAY_S)))]
    assert refs == {b"refs/heads/main": SHA, b"HEAD": SHA}  # HEAD through its symref


def test_a_refused_window_falls_back_to_depth_1() -> None:
    client = Client(HangupException())  # git: "no commits selected for shallow requests", or no deepen-since
    assert fetch(client)[b"HEAD"] == SHA
    assert [depth for depth, _ in client.calls] == [None, 1]


def test_bad_credentials_are_not_tried_twice() -> None:
    client = Client(HTTPUnauthorized('Basic realm="git"', "https://git.example/repo.git"))
    with pytest.raises(HTTPUnauthorized):
        fetch(client)
    assert len(client.calls) == 1
