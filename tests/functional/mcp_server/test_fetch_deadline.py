"""An issuer that trickles its answer cannot hold a key fetch past its deadline (the sockets are shut
down at the deadline, whether the trickle is in the headers or the body), and plain http is
followed only for an issuer on this machine."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from thoth.mcp_server.transport.auth.fetch import FetchError, fetch_json

BODY = b'{"keys": [], "padding": "' + b"x" * 100 + b'"}'


@dataclass
class Trickle:
    """A loopback HTTP server's URL, and whether it got to send its whole answer."""

    url: str
    finished: threading.Event = field(default_factory=threading.Event)


def _serve(answer: bytes, gap_s: float, trickle_from: int) -> Iterator[Trickle]:
    """Serve `answer`, the bytes from `trickle_from` on one at a time, `gap_s` apart."""
    listener = socket.create_server(("127.0.0.1", 0))
    server = Trickle(f"http://127.0.0.1:{listener.getsockname()[1]}/jwks")
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(answer[:trickle_from])
                    for i in range(trickle_from, len(answer)):
                        if stop.wait(gap_s):
                            return
                        conn.sendall(answer[i : i + 1])
                except OSError:
                    continue  # the client hung up
                server.finished.set()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        listener.close()
        thread.join(5)


def _answer(body: bytes) -> bytes:
    head = f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    return head.encode() + body


@pytest.fixture
def trickled_body() -> Iterator[Trickle]:
    # The headers at once, then the body a byte every 0.2 s: ~25 s in all, each byte far within 1 s.
    answer = _answer(BODY)
    yield from _serve(answer, 0.2, len(answer) - len(BODY))


@pytest.fixture
def trickled_headers() -> Iterator[Trickle]:
    yield from _serve(_answer(BODY), 0.1, 9)  # the headers (and body) a byte every 0.1 s


@pytest.mark.parametrize("fixture", ["trickled_body", "trickled_headers"])
def test_a_trickling_issuer_cannot_hold_the_fetch_past_its_deadline(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    server: Trickle = request.getfixturevalue(fixture)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"did not answer within 1 s"):
        fetch_json(server.url, 1.0, loopback_http=True)
    # The fetch gave up while the issuer was still trickling, not when it was done.
    assert not server.finished.is_set()
    print(f"{fixture}: refused after {time.monotonic() - started:.2f} s")  # a figure, not an assertion


def test_a_prompt_loopback_issuer_is_read_whole() -> None:
    for server in _serve(_answer(BODY), 0.0, 10_000):
        assert fetch_json(server.url, 2.0, loopback_http=True)["keys"] == []


def test_plain_http_to_this_machine_only_for_a_loopback_issuer() -> None:
    for server in _serve(_answer(BODY), 0.0, 10_000):
        with pytest.raises(FetchError, match="is not an https URL"):
            fetch_json(server.url, 2.0)  # what an https issuer's jwks_uri pointing here gets
