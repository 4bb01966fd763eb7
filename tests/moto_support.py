"""One in-process moto server (ThreadedMotoServer) on 127.0.0.1, for tests that reach AWS over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


@contextmanager
def threaded_moto() -> Iterator[str]:
    """A moto server on a free loopback port; yields its URL and stops it afterwards."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
