"""The MCP server's layers import downward only, and nothing heavy sits on the cold-start path.

The rule, in words: search/ imports protocol/'s tool contract (protocol/tools.py) and nothing else of
it; protocol/ (the MCP core) imports nothing of search/ nor of transport/; transport/ (the wire: HTTP,
stdio, auth) may use protocol/ but never imports search/, numpy or onnxruntime. The top-level modules
(lambda_handler, settings, health, version, __main__) wire them. Checked statically, so a lazy import
inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER = REPO / "packages/mcp_server/src/thoth/mcp_server"
HEAVY = ("numpy", "onnxruntime", "tokenizers", "zstandard", "thoth.shared.index")
# layer -> module prefixes it must never import
FORBIDDEN = {
    "transport": ("thoth.mcp_server.search", *HEAVY),
    "protocol": ("thoth.mcp_server.search", "thoth.mcp_server.transport", *HEAVY),
    "search": ("thoth.mcp_server.transport",),
}
# search may use the protocol's tool and resource contracts, nothing else of it
SEARCH_MAY_USE = ("thoth.mcp_server.protocol.tools", "thoth.mcp_server.protocol.resources")
LEAVES = ("settings.py", "version.py")
# PyJWT and cryptography cost tens of milliseconds to import: only the OAuth token modules (which
# transport/auth/authenticator.py loads on the first JWT) may name them, so /health and API keys never pay.
OAUTH_LIBRARIES = ("jwt", "cryptography")
OAUTH_MODULES = {"transport/auth/oauth_tokens.py", "transport/auth/jwks.py"}


def imports(path: Path) -> list[str]:
    """Every module `path` imports, anywhere in the file (relative imports resolved)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(SERVER.parents[1]).with_suffix("").parts[:-1])
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            found += [base] + [f"{base}.{alias.name}" for alias in node.names]
    return found


def _hits(names: list[str], prefixes: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes)})


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_only_downward(layer: str) -> None:
    offenders = {}
    for path in sorted((SERVER / layer).rglob("*.py")):
        names = imports(path)
        bad = _hits(names, FORBIDDEN[layer])
        if layer == "search":
            protocol = _hits(names, ("thoth.mcp_server.protocol",))
            bad += [
                n for n in protocol if not n.startswith(SEARCH_MAY_USE) and n != "thoth.mcp_server.protocol"
            ]
        if bad:
            offenders[str(path.relative_to(REPO))] = bad
    assert offenders == {}


@pytest.mark.parametrize("leaf", LEAVES)
def test_leaf_modules_import_no_layer(leaf: str) -> None:
    names = imports(SERVER / leaf)
    assert _hits(names, ("thoth.mcp_server", *HEAVY)) == []


def test_only_the_oauth_token_modules_import_jose_libraries() -> None:
    importers = {
        str(path.relative_to(SERVER))
        for path in SERVER.rglob("*.py")
        if _hits(imports(path), OAUTH_LIBRARIES)
    }
    assert importers == OAUTH_MODULES
    lazy = imports(SERVER / "transport" / "auth" / "authenticator.py")
    assert "thoth.mcp_server.transport.auth.oauth_tokens" in lazy  # loaded inside a function, on first use
    top_level = ast.parse((SERVER / "transport" / "auth" / "authenticator.py").read_text()).body
    eager = [
        n for n in top_level if isinstance(n, ast.ImportFrom) and (n.module or "").endswith("oauth_tokens")
    ]
    assert eager == []


def test_only_settings_modules_read_the_environment() -> None:
    allowed = {
        "packages/shared/src/thoth/shared/config.py",
        "packages/mcp_server/src/thoth/mcp_server/settings.py",
        "packages/refresh_service/src/thoth/refresh_service/settings.py",
    }
    pattern = re.compile(r"\bos\.environ\b|\bos\.getenv\b|\bgetenv\(")
    readers = {
        str(path.relative_to(REPO))
        for path in (REPO / "packages").rglob("*.py")
        if pattern.search(path.read_text())
    }
    assert readers - allowed == set()
