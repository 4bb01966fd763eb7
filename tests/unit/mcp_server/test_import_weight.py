"""Cold start: nothing of OAuth (PyJWT, cryptography) loads on the /health or API-key paths.

Run in a fresh interpreter, since this test process has long imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.mcp_app import KEY, REPO_ROOT

CHILD = r"""
import json, sys
from thoth.mcp_server.lambda_handler import handler

def loaded():
    return sorted({m.split(".")[0] for m in sys.modules} & {"jwt", "cryptography", "numpy", "onnxruntime"})

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
