"""Fetching an issuer's keys: a slow or failing issuer holds up no more than one fetch (outside the
key-set lock, once for all the requests that need it, its failure's back-off counted from when it
failed), and plain http is followed only for an issuer on this machine."""

from __future__ import annotations

import io
import threading
import urllib.error
import urllib.request
from http.client import HTTPMessage
from typing import Any

import pytest

from tests.support.oauth_issuer import ISSUER, JWKS_URL, Clock, Issuer
from thoth.mcp_server.transport.auth import fetch as fetch_module
from thoth.mcp_server.transport.auth import jwks
from thoth.mcp_server.transport.auth.errors import KeysUnavailable
from thoth.mcp_server.transport.auth.fetch import FetchError

WAIT_S = 10.0  # generous: a thread that is not held up answers in milliseconds


class SlowIssuer(Issuer):
    """An issuer whose answers wait until the test releases them; the clock moves meanwhile."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        super().__init__()
        self.clock, self.seconds = clock, seconds
        self.entered, self.release = threading.Event(), threading.Event()

    def fetch(self, url: str, timeout_s: float) -> dict[str, Any]:
        self.entered.set()
        assert self.release.wait(WAIT_S)
        self.clock.now += self.seconds  # what the slow answer cost
        return super().fetch(url, timeout_s)


def _in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except Exception as exc:
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def test_requests_wait_for_the_one_fetch_in_flight_and_share_its_failure() -> None:
    clock = Clock()
    issuer = SlowIssuer(clock, seconds=jwks.RETRY_AFTER_FAILURE_S + 1)  # slower than the back-off
    issuer.down = True
    keys = jwks.KeySet(ISSUER, JWKS_URL, issuer.fetch, clock)
    first, first_out = _in_thread(lambda: keys.key("k1", "RS256"))
    assert issuer.entered.wait(WAIT_S)
    second, second_out = _in_thread(lambda: keys.key("k1", "RS256"))
    issuer.release.set()
    first.join(WAIT_S), second.join(WAIT_S)
    assert isinstance(first_out[0], KeysUnavailable) and isinstance(second_out[0], KeysUnavailable)
    assert issuer.fetches == [JWKS_URL]  # one fetch for both: the second did not start its own
    # The failure is stamped when it happened (after the slow answer), so the back-off holds.
    clock.now += jwks.RETRY_AFTER_FAILURE_S - 1
    with pytest.raises(KeysUnavailable, match="connection refused"):
        keys.key("k1", "RS256")
    assert issuer.fetches == [JWKS_URL]


def test_a_fetch_in_flight_holds_up_no_request_whose_key_is_in_hand() -> None:
    clock = Clock()
    issuer = SlowIssuer(clock, seconds=1)
    issuer.release.set()
    keys = jwks.KeySet(ISSUER, JWKS_URL, issuer.fetch, clock)
    assert keys.key("k1", "RS256") is not None
    issuer.release.clear()
    issuer.entered.clear()
    clock.now += jwks.UNKNOWN_KID_REFETCH_S
    rotated, rotated_out = _in_thread(lambda: keys.key("k2", "RS256"))  # an unknown kid: a refetch
    assert issuer.entered.wait(WAIT_S)
    known, known_out = _in_thread(lambda: keys.key("k1", "RS256"))
    known.join(WAIT_S)
    try:
        assert not known.is_alive(), "a request with a known key waited for the issuer"
        assert known_out and not isinstance(known_out[0], Exception)
    finally:
        issuer.release.set()
        rotated.join(WAIT_S)
    assert isinstance(rotated_out[0], jwks.UnknownKey)


def test_discovery_and_the_keys_share_one_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [100.0]
    budgets: list[float] = []

    def fetch(url: str, timeout_s: float) -> dict[str, Any]:
        budgets.append(timeout_s)
        now[0] += 2.0  # each metadata URL takes 2 s to fail
        raise FetchError(f"{url} answered HTTP 404")

    monkeypatch.setattr(jwks.time, "monotonic", lambda: now[0])
    with pytest.raises(KeysUnavailable):
        jwks.KeySet(ISSUER, None, fetch, Clock()).key("k1", "RS256")
    assert budgets == [jwks.FETCH_TIMEOUT_S, jwks.FETCH_TIMEOUT_S - 2.0]  # 3 s in all, not 3 s each


RUNTIME_API = "http://127.0.0.1:9001/2018-06-01/runtime/invocation/next"


@pytest.mark.parametrize(
    ("issuer", "jwks_uri", "followed"),
    [
        (ISSUER, RUNTIME_API, False),  # an https issuer pointing at a local service: refused
        ("http://127.0.0.1:8080/realms/t", "http://127.0.0.1:8080/realms/t/certs", True),  # a test issuer
    ],
)
def test_plain_http_keys_only_for_an_issuer_on_this_machine(
    issuer: str, jwks_uri: str, followed: bool
) -> None:
    asked: list[str] = []

    def fetch(url: str, timeout_s: float) -> dict[str, Any]:
        asked.append(url)
        if url.endswith("/.well-known/openid-configuration"):
            return {"issuer": issuer, "jwks_uri": jwks_uri}
        if url == jwks_uri:
            return {"keys": [Issuer().jwk("k1")]}
        raise FetchError(f"{url} answered HTTP 404")

    keys = jwks.KeySet(issuer, None, fetch, Clock())
    if followed:
        assert keys.key("k1", "RS256") is not None
    else:
        with pytest.raises(KeysUnavailable, match="has no https jwks_uri"):
            keys.key("k1", "RS256")
    assert (jwks_uri in asked) is followed


@pytest.mark.parametrize("loopback_http", [False, True])
def test_a_redirect_to_plain_http_on_this_machine_only_for_a_loopback_issuer(loopback_http: bool) -> None:
    handler = fetch_module._NoDowngrade(loopback_http)
    request = urllib.request.Request("https://issuer.example/jwks")
    follow = lambda: handler.redirect_request(request, io.BytesIO(), 302, "Found", HTTPMessage(), RUNTIME_API)  # noqa: E731
    if loopback_http:
        assert follow() is not None
    else:
        with pytest.raises(urllib.error.URLError, match="refusing a redirect to a non-https URL"):
            follow()
