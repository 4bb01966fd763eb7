"""Fake git hosts on the loopback range: smart HTTP(S) over dulwich, recording what each one was sent;
and git's own server (`git daemon`), for what dulwich's server does not do (deepen-since).

Each host is a real git server (dulwich's WSGI app behind wsgiref), optionally TLS with a
throwaway CA (trusted by the client through SSL_CERT_FILE), optionally demanding a token, or
redirecting every request to another host. Tests read `requests` to see which credentials
reached which host.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

# Distinct loopback addresses are distinct hosts (Linux answers on all of 127.0.0.0/8).
HOST_A = "127.0.0.1"
HOST_B = "127.0.0.2"


@dataclass(frozen=True)
class Seen:
    """One request a fake host received."""

    method: str
    path: str
    authorization: str | None


@dataclass
class GitHost:
    """A running fake host: its base URL and every request it received."""

    url: str
    requests: list[Seen] = field(default_factory=list)

    def authorizations(self) -> list[str]:
        return [r.authorization for r in self.requests if r.authorization]

    def saw(self, secret: str) -> bool:
        """Whether `secret` reached this host in any Authorization header (decoded Basic included)."""
        for header in self.authorizations():
            if secret in header:
                return True
            scheme, _, value = header.partition(" ")
            if scheme.lower() == "basic":
                try:
                    if secret in base64.b64decode(value).decode("utf-8", "replace"):
                        return True
                except ValueError:
                    continue
        return False


def basic(token: str, user: str = "oauth2") -> str:
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


@dataclass(frozen=True)
class Tls:
    """A throwaway CA and a server certificate for the loopback hosts."""

    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_file), str(self.key_file))
        return context


def make_tls(directory: Path) -> Tls:
    """A CA and a server certificate for 127.0.0.1, 127.0.0.2 and localhost (valid one day)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "thoth test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName("localhost")] + [x509.IPAddress(ipaddress.ip_address(h)) for h in (HOST_A, HOST_B)]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    tls = Tls(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    tls.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return tls


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def git_host(
    repo_dir: Path | None,
    *,
    host: str = HOST_A,
    tls: Tls | None = None,
    token: str | None = None,
    redirect_to: str | None = None,
) -> Iterator[GitHost]:
    """Serve `repo_dir` as /repo.git on `host`; demand Basic auth with `token` if given.

    With `redirect_to` (a base URL) every request is answered 302 to the same path there.
    """
    from dulwich.repo import Repo
    from dulwich.server import DictBackend
    from dulwich.web import make_wsgi_chain

    app = make_wsgi_chain(DictBackend({"/repo.git": Repo(str(repo_dir))})) if repo_dir else None
    seen: list[Seen] = []

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        query = environ.get("QUERY_STRING", "")
        seen.append(Seen(environ.get("REQUEST_METHOD", ""), path, environ.get("HTTP_AUTHORIZATION")))
        if redirect_to is not None:
            location = redirect_to.rstrip("/") + path + (f"?{query}" if query else "")
            start_response("302 Found", [("Location", location), ("Content-Length", "0")])
            return [b""]
        if token is not None and environ.get("HTTP_AUTHORIZATION") != basic(token):
            start_response(
                "401 Unauthorized", [("WWW-Authenticate", 'Basic realm="git"'), ("Content-Length", "0")]
            )
            return [b""]
        assert app is not None
        return app(environ, start_response)

    server: WSGIServer = make_server(host, 0, recording, handler_class=_Quiet)
    if tls is not None:
        server.socket = tls.server_context().wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    scheme = "https" if tls else "http"
    try:
        yield GitHost(f"{scheme}://{host}:{server.server_port}", seen)
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """`git daemon` serving every repository under `base` read-only on a free loopback port; yields
    its URL, `git://127.0.0.1:<port>/` (a repository at base/repo is `<url>repo`)."""
    git = shutil.which("git")
    if git is None:
        raise RuntimeError("git is not installed; .ci/install-system-packages installs it")
    with socket.socket() as sock:
        sock.bind((HOST_A, 0))
        port = int(sock.getsockname()[1])
    process = subprocess.Popen(
        [
            git, "daemon", "--export-all", "--informative-errors", "--reuseaddr",
            f"--base-path={base}", f"--listen={HOST_A}", f"--port={port}", str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection((HOST_A, port), timeout=0.5).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"git daemon did not start on port {port}") from None
                time.sleep(0.05)
        yield f"git://{HOST_A}:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=10)
