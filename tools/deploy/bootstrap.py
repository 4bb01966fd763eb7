"""The zip Terraform creates the MCP server function from, before the first `nox -s deploy`."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tools.aws.envs import thoth_home

HANDLER = '''"""Placeholder code until `nox -s deploy` ships the real MCP server."""

import json


def handler(event, context):
    body = {"status": "not-deployed", "fix": "run `nox -s deploy -- <env>` to ship the MCP server"}
    return {"statusCode": 503, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}
'''


def bootstrap_zip() -> Path:
    """Write (once, byte-for-byte reproducible) and return the bootstrap zip."""
    path = thoth_home() / "deploy" / "bootstrap" / "mcp-bootstrap.zip"
    if path.is_file():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("thoth/mcp_server/lambda_handler.py", date_time=(1980, 1, 1, 0, 0, 0))
        info.external_attr = 0o644 << 16
        archive.writestr(info, HANDLER)
    tmp.replace(path)
    return path
