"""Cold start: nothing of OAuth (PyJWT, cryptography) loads on the /health or API-key paths, and
nothing of the authorization-server front (Authlib, its endpoints) on those nor on bearer /mcp.

Run in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.mcp_app import KEY, REPO_ROOT

# Kept when set (a checkout run without an editable install); nox's venvs need none.
_PYTHONPATH = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}

CHILD = r"""
import json, sys
from thoth.mcp_server.lambda_handler import handler

FRONT = "thoth.mcp_server.transport.auth.front."
WATCHED = {"jwt", "cryptography", "numpy", "onnxruntime", "authlib", "joserfc"}

def loaded():
    found = {m.split(".")[0] for m in sys.modules} & WATCHED
    front = {m[len(FRONT):] for m in sys.modules if m.startswith(FRONT)} - {"paths"}
    return sorted(found | {"front." + name for name in front})

health, ping = json.loads(sys.argv[1]), json.loads(sys.argv[2])
seen = {"import": loaded()}
seen["health"] = (handler(health, None)["statusCode"], loaded())
seen["api_key"] = (handler(ping, None)["statusCode"], loaded())
ping["headers"]["authorization"] = "Bearer eyJhbGciOiJSUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2ln"
seen["jwt"] = (handler(ping, None)["statusCode"], loaded())
print(json.dumps(seen))
"""


def _events() -> tuple[str, str]:
    events = REPO_ROOT / "packages" / "mcp_server" / "events"
    health = json.loads((events / "health.json").read_text())
    ping = json.loads((events / "tools-list.json").read_text())
    ping["headers"] = {**ping.get("headers", {}), "x-api-key": KEY, "host": "127.0.0.1"}
    ping["headers"].pop("authorization", None)
    return json.dumps(health), json.dumps(ping)


def test_oauth_code_loads_only_for_a_jwt(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        **_PYTHONPATH,
        "THOTH_HOME": str(tmp_path),
        "THOTH_API_KEYS": KEY,
        "THOTH_SECRETS_BACKEND": "env",
        "THOTH_OAUTH_ISSUER": "http://127.0.0.1:9",
        "THOTH_OAUTH_JWKS_URL": "http://127.0.0.1:9/jwks",  # the discard port: refused at once, never off-box
        "THOTH_OAUTH_SCOPES": "thoth/search",
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD, *_events()], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["import"] == []
    assert seen["health"][1] == [] and seen["api_key"] == [200, []]
    assert seen["jwt"] == [503, ["cryptography", "jwt"]]  # keys unreachable: fails closed


FRONT_CHILD = r"""
import copy, json, sys
from thoth.mcp_server.lambda_handler import handler

FRONT = "thoth.mcp_server.transport.auth.front."

def loaded():
    found = {m.split(".")[0] for m in sys.modules} & {"jwt", "cryptography", "authlib", "joserfc", "numpy"}
    front = {m[len(FRONT):] for m in sys.modules if m.startswith(FRONT)} - {"paths"}
    return sorted(found | {"front." + name for name in front})

health, ping = json.loads(sys.argv[1]), json.loads(sys.argv[2])
seen = {"import": loaded()}
seen["health"] = (handler(health, None)["statusCode"], loaded())
seen["api_key"] = (handler(ping, None)["statusCode"], loaded())
bearer = copy.deepcopy(ping)
bearer["headers"].pop("x-api-key")
bearer["headers"]["authorization"] = "Bearer eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJzdWIiOiJ4In0.c2ln"
seen["bearer"] = (handler(bearer, None)["statusCode"], loaded())
metadata = copy.deepcopy(health)
metadata["rawPath"] = metadata["requestContext"]["http"]["path"] = "/.well-known/oauth-authorization-server"
seen["front"] = (handler(metadata, None)["statusCode"], loaded())
print(json.dumps(seen))
"""


def test_the_front_loads_only_for_its_own_paths(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        **_PYTHONPATH,
        "THOTH_HOME": str(tmp_path),
        "THOTH_API_KEYS": KEY,
        "THOTH_SECRETS_BACKEND": "env",
        "THOTH_OAUTH_UPSTREAM": "http://127.0.0.1:9",  # never reached: no sign-in happens here
        "THOTH_OAUTH_UPSTREAM_CLIENT_ID": "thoth-app-client",
        "THOTH_OAUTH_RESOURCE": "https://abc123.lambda-url.us-east-1.on.aws/mcp",  # https, as on Lambda
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", FRONT_CHILD, *_events()], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["import"] == [] and seen["health"][1] == [] and seen["api_key"] == [200, []]
    # A bearer token is checked against Thoth's own keys (the key ring), without Authlib or the endpoints.
    assert seen["bearer"] == [401, ["cryptography", "front.keys", "jwt"]]
    status, modules = seen["front"]
    assert status == 200 and {"authlib", "front.endpoints", "front.server"} <= set(modules)
