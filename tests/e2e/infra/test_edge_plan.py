"""The optional WAF's logs never hold a credential: the authorization and x-api-key headers and the
query string (where a client may have put ?access_token=) are redacted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.infra.offline import INFRA, after, initialised, planned

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")

EDGE = """
module "edge" {
  source       = "%s"
  name         = "thoth-t-mcp-server"
  http_api_url = "https://abc123.execute-api.us-east-1.amazonaws.com"
  rate_limit   = 1000
}
"""


def test_waf_logs_redact_credentials_and_the_query_string(tmp_path: Path) -> None:
    document = planned(initialised(tmp_path, EDGE % (INFRA / "modules" / "edge")))
    (logging,) = after(document, "aws_wafv2_web_acl_logging_configuration")
    redacted = logging["redacted_fields"]
    headers = {h["name"] for field in redacted for h in field.get("single_header", [])}
    assert headers == {"authorization", "x-api-key"}
    assert any(field.get("query_string") for field in redacted), redacted
