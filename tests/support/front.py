"""The authorization-server front's test world: a Cognito-like upstream, a browser, an https CIMD host.

The upstream is oidc-provider-mock (an Authlib OpenID provider) made to look like Cognito: Thoth's app
client is registered once, beforehand, with Thoth's one callback (as Terraform does), then the
registration route is closed and the discovery document is rewritten to drop
`registration_endpoint`; the mock never advertises `code_challenge_methods_supported` (asserted), so
the MCP clients could not use it directly. The "browser" follows the redirects by hand and submits
the provider's sign-in form for a user (automatic consent).
"""

from __future__ import annotations

import http.server
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

import httpx

from tests.support.git_hosts import Tls


@dataclass(frozen=True)
class Upstream:
    """The upstream provider and Thoth's confidential app client there."""

    issuer: str
    client_id: str
    client_secret: str

    def env(self) -> dict[str, str]:
        return {
            "THOTH_OAUTH_UPSTREAM": self.issuer,
            "THOTH_OAUTH_UPSTREAM_CLIENT_ID": self.client_id,
            "THOTH_OAUTH_UPSTREAM_CLIENT_SECRET": self.client_secret,
        }


@contextmanager
def cognito_like_upstream(callback: str) -> Iterator[Upstream]:
    """oidc-provider-mock without registration and without PKCE metadata, one client for `callback`."""
    import flask
    import oidc_provider_mock
    import werkzeug.serving

    app = flask.Flask("thoth-test-upstream")
    oidc_provider_mock.init_app(app, require_client_registration=True)
    app.secret_key = secrets.token_bytes(16)
    with app.test_client() as setup:  # the operator's one-time app client (Terraform, for Cognito)
        made = setup.post(
            "/oauth2/clients",
            json={"redirect_uris": [callback], "token_endpoint_auth_method": "client_secret_basic"},
        ).get_json()
    discovery = app.view_functions["oidc-provider-mock.openid_config"]

    def cognito_discovery() -> Any:
        document = discovery().get_json()
        assert "code_challenge_methods_supported" not in document  # as Cognito's
        document.pop("registration_endpoint")
        return flask.jsonify(document)

    def no_registration() -> Any:
        return flask.jsonify({"error": "not_found"}), 404

    app.view_functions["oidc-provider-mock.openid_config"] = cognito_discovery
    app.view_functions["oidc-provider-mock.register_client"] = no_registration
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="upstream-provider", daemon=True)
    thread.start()
    try:
        yield Upstream(f"http://127.0.0.1:{server.server_port}", made["client_id"], made["client_secret"])
    finally:
        server.shutdown()
        thread.join(timeout=5)


def sign_in(authorization_url: str, user: str = "alice@example.com") -> dict[str, str]:
    """The user's browser: Thoth's /authorize, the upstream's form (submitted as `user`), Thoth's callback,
    and back to the client; returns the query the client's redirect URI received."""
    with httpx.Client(timeout=30.0, follow_redirects=False) as browser:
        to_upstream = browser.get(authorization_url)
        assert to_upstream.status_code == 302, to_upstream.text[:500]
        upstream_form = to_upstream.headers["location"]
        back = browser.post(upstream_form, data={"sub": user})
        assert back.status_code in (302, 303), back.text[:500]
        to_client = browser.get(urljoin(upstream_form, back.headers["location"]))
        assert to_client.status_code == 302, to_client.text[:500]
        return dict(parse_qsl(urlsplit(to_client.headers["location"]).query))


# --- an https host on loopback for client metadata documents, with a CA made for the test ---
# (the CA and certificate: tests.support.git_hosts.make_tls)


@dataclass
class DocumentHost:
    """Serves `documents` (path -> (status, headers, body)) over https on 127.0.0.1."""

    base: str
    documents: dict[str, tuple[int, dict[str, str], bytes]]
    requests: list[str]

    def json(self, path: str, document: dict[str, Any]) -> str:
        self.documents[path] = (200, {"content-type": "application/json"}, json.dumps(document).encode())
        return self.base + path


@contextmanager
def https_documents(ca: Tls) -> Iterator[DocumentHost]:
    host = DocumentHost("", {}, [])

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host.requests.append(self.path)
            status, headers, body = host.documents.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = ca.server_context().wrap_socket(server.socket, server_side=True)
    host.base = f"https://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="cimd-host", daemon=True)
    thread.start()
    try:
        yield host
    finally:
        server.shutdown()
        thread.join(timeout=5)
