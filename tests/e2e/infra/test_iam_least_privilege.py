"""Finding 6: each role's Terraform policy grants exactly the AWS actions its code calls, no more.

moto does not enforce IAM, so no other test can see a policy that is too wide or too narrow.
The audit (iam_audit.py) derives the calls from the code and plans the real module; the
mutated copies prove the audit fails both ways.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.iam_audit import (
    PLATFORM,
    audit,
    boto3_calls,
    code_actions,
    copy_module,
    planned_policies,
    role_uses,
)

needs_terraform = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("iam-plan")
    return planned_policies(copy_module(work / "iam"), work / "root")


def test_the_code_scan_sees_every_aws_call() -> None:
    calls = {(c.service, c.operation) for c in boto3_calls()}
    # A scan that found nothing would make every policy look too wide; these are known calls.
    assert {("s3", "put_object"), ("dynamodb", "update_item"), ("sqs", "send_message_batch")} <= calls
    assert ("secretsmanager", "get_secret_value") in calls


def test_the_mcp_server_code_writes_only_the_fronts_state() -> None:
    used, secrets = role_uses("mcp")
    # query: the live pointers; the rest: the authorization-server front's codes, tokens and sign-ins
    assert used["StateStore"] == {"query", "get", "put", "create", "swap", "delete"}
    assert used["ObjectStore"] <= {"get", "open", "download", "list"}
    assert secrets == {"api-key", "cursor-key", "oauth-client-secret", "oauth-signing-key"}
    assert set(code_actions("mcp")) == {
        "s3:GetObject", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
        "secretsmanager:GetSecretValue",
    }  # fmt: skip


@needs_terraform
@pytest.mark.parametrize("role", ["mcp", "refresh"])
def test_each_role_grants_exactly_what_its_code_calls(role: str, policies: dict[str, dict[str, Any]]) -> None:
    assert audit(role, policies[role]) == []


@needs_terraform
def test_the_audit_fails_on_a_grant_the_code_never_calls_and_on_a_missing_one(tmp_path: Path) -> None:
    module = copy_module(tmp_path / "iam")
    main = module / "main.tf"
    text = main.read_text()
    wider = text.replace(
        'actions   = ["dynamodb:Query"]', 'actions   = ["dynamodb:Query", "dynamodb:Scan"]', 1
    )
    narrower = wider.replace(
        '["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]', '["s3:GetObject", "s3:PutObject"]', 1
    )
    assert wider != text and narrower != wider, "the mutations no longer apply; update them"
    main.write_text(narrower)
    mutated = planned_policies(module, tmp_path / "root")
    assert any("grants dynamodb:Scan, which the code never calls" in p for p in audit("mcp", mutated["mcp"]))
    assert any("needs s3:DeleteObject" in p for p in audit("refresh", mutated["refresh"]))


def test_platform_grants_say_why() -> None:
    for role, grants in PLATFORM.items():
        assert all(len(reason) > 20 for reason in grants.values()), role
