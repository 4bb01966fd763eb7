"""Authentication cold starts: /health and an API-key request in fresh processes, this tree against a
baseline git ref (alternating run by run, so machine load hits both alike), and OAuth's own cost
(importing PyJWT + cryptography, the first token verification with a JWKS fetch, a warm one; with the
authorization-server front: its first metadata answer, which loads Authlib, and the first verification
of a token it minted, which reads its own key ring instead of fetching a JWKS).

Part of `python -m tools.bench.mcp` (`--baseline REF`, `--only auth`). The baseline's packages are
extracted with `git archive` (no worktree is registered) and both trees run from PYTHONPATH with
their own bytecode cache, so they pay the same import machinery. Figures are printed, never asserted.
"""

from __future__ import annotations

import http.server
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tools.paths import BUILD, ROOT

WORK = BUILD / "bench-mcp"
PACKAGES = ("packages/shared/src", "packages/mcp_server/src")

COLD_AUTH = r"""
import time
t0 = time.perf_counter()
import json, sys
from thoth.mcp_server.lambda_handler import handler
health, listing = json.loads(sys.argv[1]), json.loads(sys.argv[2])
h = handler(health, None)
t_health = time.perf_counter() - t0
r = handler(listing, None)
t_key = time.perf_counter() - t0
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"jwt", "cryptography", "authlib"})
print(json.dumps({"health": t_health, "api_key": t_key, "status": [h["statusCode"], r["statusCode"]],
                  "oauth_modules": loaded}))
"""

FRONT_FIRST = r"""
import time
t0 = time.perf_counter()
import copy, json, sys
from thoth.mcp_server.lambda_handler import handler
listing = json.loads(sys.argv[1])
handler(listing, None)  # warm the handler with an API-key request: what follows is the front's own
metadata = copy.deepcopy(listing)
metadata.update(body=None)
metadata["rawPath"] = "/.well-known/oauth-authorization-server"
metadata["requestContext"]["http"].update(method="GET", path=metadata["rawPath"])
t1 = time.perf_counter()
answer = handler(metadata, None)
t2 = time.perf_counter()
import jwt
from thoth.mcp_server.transport.auth.front.keys import key_ring
key = key_ring().current
issuer = json.loads(answer["body"])["issuer"]
now = int(time.time())
claims = {"iss": issuer, "aud": issuer + "/mcp", "sub": "bench", "iat": now, "exp": now + 600, "scope": ""}
listing["headers"].pop("x-api-key")
token = jwt.encode(claims, key.private, algorithm=key.algorithm, headers={"kid": key.kid})
listing["headers"]["authorization"] = "Bearer " + token
t3 = time.perf_counter()
first = handler(listing, None)
t4 = time.perf_counter()
print(json.dumps({"metadata": t2 - t1, "first": t4 - t3,
                  "status": [answer["statusCode"], first["statusCode"]]}))
"""

FIRST_TOKEN = r"""
import time
t0 = time.perf_counter()
import json, sys
from thoth.mcp_server.lambda_handler import handler
listing = json.loads(sys.argv[1])
handler(listing, None)  # warm the handler itself with an API-key request: what follows is OAuth's own
listing["headers"].pop("x-api-key")
listing["headers"]["authorization"] = "Bearer " + sys.argv[2]
t1 = time.perf_counter()
first = handler(listing, None)
t2 = time.perf_counter()
second = handler(listing, None)
t3 = time.perf_counter()
print(json.dumps({"first": t2 - t1, "warm": t3 - t2, "status": [first["statusCode"], second["statusCode"]]}))
"""

IMPORT_ONLY = r"""
import time, json
t0 = time.perf_counter()
import jwt
from jwt.algorithms import RSAAlgorithm
from cryptography.hazmat.primitives.asymmetric import rsa
print(json.dumps({"import": time.perf_counter() - t0}))
"""


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def extract(ref: str) -> Path:
    """The baseline's packages/ at `ref`, extracted once per commit into build/bench-mcp/."""
    sha = subprocess.run(
        ["git", "rev-parse", "--verify", f"{ref}^{{commit}}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if sha.returncode != 0:
        raise SystemExit(f"--baseline {ref!r} is not a commit here: {sha.stderr.strip()}")
    target = WORK / f"baseline-{sha.stdout.strip()[:12]}"
    if not (target / "ready").is_file():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", sha.stdout.strip(), "packages"], cwd=ROOT, capture_output=True, check=True
        )
        with tempfile.TemporaryFile() as tmp:
            tmp.write(archive.stdout)
            tmp.seek(0)
            with tarfile.open(fileobj=tmp) as tar:
                tar.extractall(target, filter="data")
        (target / "ready").write_text(sha.stdout.strip())
    return target


def tree_env(base: dict[str, str], tree: Path, label: str) -> dict[str, str]:
    return dict(
        base,
        PYTHONPATH=os.pathsep.join(str(tree / p) for p in PACKAGES),
        PYTHONPYCACHEPREFIX=str(WORK / f"pycache-{label}"),
    )


def child(code: str, env: dict[str, str], *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tempfile.gettempdir(),
    )
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def listing_event(health_event: str, key: str) -> str:
    event = json.loads(health_event)
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    event.update(rawPath="/mcp", body=json.dumps(body), isBase64Encoded=False)
    event["requestContext"]["http"].update(method="POST", path="/mcp")
    event["headers"] = {
        **event.get("headers", {}),
        "content-type": "application/json",
        "accept": "application/json, text/event-stream",
        "x-api-key": key,
    }
    return json.dumps(event)


# The front on, its upstream never reached (no sign-in is measured); Lambda-like https resource URL.
FRONT_ENV = {
    "THOTH_OAUTH_UPSTREAM": "http://127.0.0.1:9",
    "THOTH_OAUTH_UPSTREAM_CLIENT_ID": "bench-app-client",
    "THOTH_OAUTH_RESOURCE": "https://abc123.lambda-url.us-east-1.on.aws/mcp",
}


def compare(base_env: dict[str, str], health_event: str, key: str, baseline: str | None, runs: int) -> None:
    """Median /health and API-key cold starts per tree and OAuth setting, interleaved run by run."""
    listing = listing_event(health_event, key)
    oauth = {
        "THOTH_OAUTH_ISSUER": "https://issuer.example",
        "THOTH_OAUTH_JWKS_URL": "http://127.0.0.1:9/jwks",
        "THOTH_OAUTH_SCOPES": "thoth/search",
    }
    variants = {"this tree, OAuth off": tree_env(base_env, ROOT, "tree")}
    variants["this tree, OAuth on (API key sent)"] = dict(variants["this tree, OAuth off"], **oauth)
    variants["this tree, front on (API key sent)"] = dict(variants["this tree, OAuth off"], **FRONT_ENV)
    refs = [ref for ref in (baseline or "").split(",") if ref]
    for ref in refs:  # several refs: e.g. before a refactor and after it, against this tree
        variants[f"baseline {ref}"] = tree_env(base_env, extract(ref), f"baseline-{ref}")
    for env in variants.values():
        child(COLD_AUTH, env, health_event, listing)  # writes bytecode; not counted
    figures: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(runs):
        # Rotate who goes first each round: no variant always follows a cold page cache or a warm CPU.
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            result = child(COLD_AUTH, variants[name], health_event, listing)
            if result["status"] != [200, 200]:
                raise SystemExit(f"{name}: unexpected statuses {result['status']}")
            figures[name].append(result)
    base = f"baseline {refs[0]}" if refs else "this tree, OAuth off"
    reference = statistics.median(f["api_key"] for f in figures[base])
    reference_health = statistics.median(f["health"] for f in figures[base])
    for name, results in figures.items():
        health = statistics.median(f["health"] for f in results)
        api_key = statistics.median(f["api_key"] for f in results)
        loaded = sorted({m for f in results for m in f["oauth_modules"]}) or "none"
        log(
            f"  {name:38s}: /health {ms(health)} ({health / reference_health:.3f}x), "
            f"+ API-key tools/list {ms(api_key)} ({api_key / reference:.3f}x); JOSE modules loaded: {loaded}"
        )
    log(f"  (medians of {runs} fresh processes each, interleaved in rotating order; ratios against {base})")


@contextmanager
def jwks_server(document: dict[str, Any]) -> Iterator[str]:
    body = json.dumps(document).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks"
    finally:
        server.shutdown()


def oauth_cost(base_env: dict[str, str], health_event: str, key: str, runs: int) -> None:
    """PyJWT + cryptography import alone, then the first and a warm verification in a fresh process."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    issuer, audience = "https://issuer.example", "https://thoth.example/mcp"
    now = int(time.time())
    claims = {
        "iss": issuer,
        "aud": audience,
        "sub": "bench",
        "iat": now,
        "exp": now + 3600,
        "scope": "thoth/search",
    }
    token = jwt.encode(claims, private, algorithm="RS256", headers={"kid": "bench"})
    env = tree_env(base_env, ROOT, "tree")
    imports = [child(IMPORT_ONLY, env)["import"] for _ in range(runs)]
    with jwks_server({"keys": [{**public, "kid": "bench", "use": "sig"}]}) as url:
        oauth_env = dict(
            env, THOTH_OAUTH_ISSUER=issuer, THOTH_OAUTH_AUDIENCE=audience, THOTH_OAUTH_JWKS_URL=url
        )
        listing = listing_event(health_event, key)
        results = [child(FIRST_TOKEN, oauth_env, listing, token) for _ in range(runs)]
    if any(r["status"] != [200, 200] for r in results):
        raise SystemExit(f"OAuth requests failed: {results[0]}")
    front = [child(FRONT_FIRST, dict(env, **FRONT_ENV), listing) for _ in range(runs)]
    if any(r["status"] != [200, 200] for r in front):
        raise SystemExit(f"front requests failed: {front[0]}")
    log(f"  import PyJWT + cryptography (fresh process): {ms(statistics.median(imports))}")
    log(
        f"  first JWT request (imports + JWKS fetch over loopback + verify): "
        f"{ms(statistics.median(r['first'] for r in results))}; "
        f"warm: {ms(statistics.median(r['warm'] for r in results))}  (medians of {runs})"
    )
    log(
        f"  front: first metadata answer (imports Authlib, reads the key ring): "
        f"{ms(statistics.median(r['metadata'] for r in front))}; first request with a token it minted: "
        f"{ms(statistics.median(r['first'] for r in front))}  (medians of {runs})"
    )


def log(message: str) -> None:
    print(message, flush=True)
