"""Real token issuers for the e2e tests: a moto server process (Cognito), and oidc-provider-mock.

oidc-provider-mock is an OpenID provider built on Authlib, with dynamic client registration and
an authorization form that a test can submit (automatic consent). Its access tokens are opaque by
default; Authlib's documented OAUTH2_ACCESS_TOKEN_GENERATOR hook makes them RFC 9068 JWTs signed
with the provider's own key, with `aud` set from the RFC 8707 `resource` parameter of the request.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for_port(port: int, proc: subprocess.Popen[bytes] | None = None, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout_s:.0f} s")


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server process on 127.0.0.1; yields its URL."""
    port = free_port()
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )  # fmt: skip
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _jwt_access_token(client: Any, grant_type: str, user: Any, scope: str) -> str:
    import flask
    import jwt
    from oidc_provider_mock._storage import storage

    private = storage.jwk.as_dict(is_private=True)
    now = int(time.time())
    claims = {
        "iss": flask.request.host_url.rstrip("/"),
        "sub": user.sub,
        "aud": flask.request.form.get("resource") or client.get_client_id(),
        "client_id": client.get_client_id(),
        "scope": scope or "",
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    headers = {"kid": private["kid"]} if private.get("kid") else {}
    return jwt.encode(claims, jwt.PyJWK(private).key, algorithm="RS256", headers={**headers, "typ": "at+jwt"})


@contextmanager
def oidc_provider() -> Iterator[str]:
    """oidc-provider-mock on 127.0.0.1 issuing JWT access tokens; yields its issuer URL."""
    import flask
    import oidc_provider_mock
    import werkzeug.serving

    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"  # plain http on 127.0.0.1 only
    app = flask.Flask("thoth-test-issuer")
    app.config["OAUTH2_ACCESS_TOKEN_GENERATOR"] = _jwt_access_token
    oidc_provider_mock.init_app(app, require_client_registration=True)
    app.secret_key = secrets.token_bytes(16)
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@contextmanager
def thoth_server(
    env: dict[str, str], *args: str, port: int | None = None
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`python -m thoth.mcp_server serve` on `port` (default: a free one); yields (base URL, process)."""
    from tests.support.mcp_clients import REPO

    port = port or free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "thoth.mcp_server", "serve", "--port", str(port), *args],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        wait_for_port(port, proc)  # type: ignore[arg-type]
        yield f"http://127.0.0.1:{port}", proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
