"""Least privilege you can check: the AWS calls the code makes, and the policy Terraform would send.

`code_actions()` reads packages/ (AST, no import): every boto3 client call by service and
operation, which wrapper method (S3ObjectStore, DynamoStateStore, Secrets) makes it, and which
wrapper methods and secrets each service's code reaches. `planned_policies()` plans
infra/modules/iam against the local provider mirror and returns each role's policy JSON as
Terraform computed it. `audit()` compares the two and returns every difference as a sentence.
"""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from thoth.mcp_server.transport.auth.front.store import CODE, FAMILY, PENDING, REFRESH

# The state partitions of the authorization-server front (the only ones the MCP role may write).
FRONT_PARTITIONS = [PENDING, CODE, REFRESH, FAMILY]

REPO = Path(__file__).resolve().parents[2]
PACKAGES = REPO / "packages"
INFRA = REPO / "infra"
SHARED = PACKAGES / "shared" / "src" / "thoth" / "shared"
SERVICE_DIRS = {
    "mcp": PACKAGES / "mcp_server" / "src" / "thoth" / "mcp_server",
    "refresh": PACKAGES / "refresh_service" / "src" / "thoth" / "refresh_service",
}

# boto3 operation -> the IAM actions it needs (service authorization reference).
OPERATIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("s3", "get_object"): ("s3:GetObject",),
    ("s3", "head_object"): ("s3:GetObject",),
    ("s3", "put_object"): ("s3:PutObject",),
    # upload_file goes multipart above 8 MB (Create/UploadPart/Complete are s3:PutObject) and
    # aborts a failed multipart upload.
    ("s3", "upload_file"): ("s3:PutObject", "s3:AbortMultipartUpload"),
    ("s3", "delete_object"): ("s3:DeleteObject",),
    ("s3", "list_objects_v2"): ("s3:ListBucket",),
    ("dynamodb", "get_item"): ("dynamodb:GetItem",),
    ("dynamodb", "update_item"): ("dynamodb:UpdateItem",),
    ("dynamodb", "delete_item"): ("dynamodb:DeleteItem",),
    ("dynamodb", "query"): ("dynamodb:Query",),
    ("secretsmanager", "get_secret_value"): ("secretsmanager:GetSecretValue",),
    ("sqs", "send_message_batch"): ("sqs:SendMessage",),
}
WRAPPERS = {"S3ObjectStore": "ObjectStore", "DynamoStateStore": "StateStore", "Secrets": "Secrets"}
PROTOCOL_METHODS = {
    "ObjectStore": {"put", "put_file", "get", "open", "download", "exists", "delete", "list"},
    "StateStore": {"get", "put", "create", "swap", "delete", "query"},
}
# Granted although no code line calls them: AWS calls them with the role on the function's behalf.
PLATFORM: dict[str, dict[str, str]] = {
    "mcp": {
        "xray:PutTraceSegments": "tracing_config Active: the runtime sends traces",
        "xray:PutTelemetryRecords": "tracing_config Active: the runtime sends traces",
        "logs:CreateLogStream": "the runtime writes the function's logs",
        "logs:PutLogEvents": "the runtime writes the function's logs",
        "s3:ListBucket": "recent_changes lists history/; under indexes/ a missing key is 404, not 403",
    },
    "refresh": {
        "xray:PutTraceSegments": "tracing_config Active: the runtime sends traces",
        "xray:PutTelemetryRecords": "tracing_config Active: the runtime sends traces",
        "logs:CreateLogStream": "the runtime writes the function's logs",
        "logs:PutLogEvents": "the runtime writes the function's logs",
        "sqs:ReceiveMessage": "the SQS event source mapping polls the fan-out queue",
        "sqs:DeleteMessage": "the SQS event source mapping deletes handled messages",
        "sqs:GetQueueAttributes": "the SQS event source mapping reads the queue",
    },
}

BUCKET = "arn:aws:s3:::thoth-audit-bucket"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/thoth-audit-mcp-state"
_SECRET_PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:thoth/audit/"
SECRET_ARNS = {
    "api-key": "arn:aws:secretsmanager:us-east-1:123456789012:secret:thoth/audit/api-key-AbCdEf",
    "gitlab-token": "arn:aws:secretsmanager:us-east-1:123456789012:secret:thoth/audit/gitlab-token-AbCdEf",
    "cursor-key": "arn:aws:secretsmanager:us-east-1:123456789012:secret:thoth/audit/cursor-key-AbCdEf",
    "oauth-client-secret": f"{_SECRET_PREFIX}oauth-client-secret-AbCdEf",
    "oauth-signing-key": f"{_SECRET_PREFIX}oauth-signing-key-AbCdEf",
}
QUEUE = "arn:aws:sqs:us-east-1:123456789012:thoth-audit-refresh-service-fanout"
DLQ = "arn:aws:sqs:us-east-1:123456789012:thoth-audit-refresh-service-dlq"
S3_SOURCE = {"bucket": "papyrus-docs", "prefix": "runbooks/"}
S3_SOURCE_ARNS = ("arn:aws:s3:::papyrus-docs/runbooks/*", "arn:aws:s3:::papyrus-docs")


@dataclass(frozen=True)
class Call:
    """One boto3 client call in the code."""

    path: str
    owner: str  # Class.method or function
    service: str
    operation: str


def _modules(root: Path) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def _client_service(node: ast.AST) -> str | None:
    """'s3' for `aws.client("s3", ...)`."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "client"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "aws"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    ):
        return str(node.args[0].value)
    return None


def _functions(tree: ast.Module) -> Iterator[tuple[str, ast.FunctionDef]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    yield f"{node.name}.{item.name}", item


def boto3_calls() -> list[Call]:
    """Every boto3 client operation called in packages/, with the function that calls it."""
    calls: list[Call] = []
    for path, tree in _modules(PACKAGES):
        properties = {  # `@property def _s3(self): return aws.client("s3", ...)`
            name.split(".")[-1]: service
            for name, fn in _functions(tree)
            for node in ast.walk(fn)
            if isinstance(node, ast.Return) and node.value and (service := _client_service(node.value))
        }
        for owner, fn in _functions(tree):
            local = {
                target.id: service
                for node in ast.walk(fn)
                if isinstance(node, ast.Assign) and (service := _client_service(node.value))
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(fn):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                    continue
                receiver = node.func.value
                service = _client_service(receiver)
                if service is None and isinstance(receiver, ast.Attribute) and receiver.attr in properties:
                    service = properties[receiver.attr]
                if service is None and isinstance(receiver, ast.Name):
                    service = local.get(receiver.id)
                if service is None:
                    continue
                operation = node.func.attr
                if operation == "get_paginator" and node.args and isinstance(node.args[0], ast.Constant):
                    operation = str(node.args[0].value)
                calls.append(Call(path.relative_to(PACKAGES).as_posix(), owner, service, operation))
    return calls


def wrapper_operations(calls: list[Call]) -> dict[str, dict[str, set[tuple[str, str]]]]:
    """{protocol: {method: {(service, operation)}}} for the wrappers, following self.helper() calls."""
    direct: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for call in calls:
        cls, _, method = call.owner.partition(".")
        if cls in WRAPPERS:
            direct.setdefault(cls, {}).setdefault(method, set()).add((call.service, call.operation))
    helpers: dict[str, dict[str, set[str]]] = {}
    for _, tree in _modules(SHARED):
        for owner, fn in _functions(tree):
            cls, _, method = owner.partition(".")
            if cls in WRAPPERS:
                helpers.setdefault(cls, {})[method] = {
                    n.func.attr
                    for n in ast.walk(fn)
                    if isinstance(n, ast.Call)
                    and isinstance(n.func, ast.Attribute)
                    and isinstance(n.func.value, ast.Name)
                    and n.func.value.id == "self"
                }
    result: dict[str, dict[str, set[tuple[str, str]]]] = {}
    for cls, methods in helpers.items():
        for method in methods:
            seen, todo, ops = set(), [method], set()
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                ops |= direct.get(cls, {}).get(current, set())
                todo += sorted(methods.get(current, set()))
            result.setdefault(WRAPPERS[cls], {})[method] = ops
    return result


def _shared_functions() -> dict[str, ast.FunctionDef]:
    return {name: fn for _, tree in _modules(SHARED) for name, fn in _functions(tree) if "." not in name}


def _reached(role: str) -> list[ast.AST]:
    """The role's own modules, plus the shared functions it imports by name (and what they call)."""
    shared = _shared_functions()
    roots: list[ast.AST] = []
    names: list[str] = []
    for _, tree in _modules(SERVICE_DIRS[role]):
        roots.append(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("thoth.shared"):
                names += [alias.name for alias in node.names]
    seen: set[str] = set()
    while names:
        name = names.pop()
        if name in seen or name not in shared:
            continue
        seen.add(name)
        roots.append(shared[name])
        names += [
            n.func.id
            for n in ast.walk(shared[name])
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
        ]
    return roots


def role_uses(role: str) -> tuple[dict[str, set[str]], set[str]]:
    """({protocol: methods called}, {secret names}) in the code `role` runs."""
    from thoth.shared.secrets import ENV_VARS

    used: dict[str, set[str]] = {}
    secrets: set[str] = set()
    for root in _reached(role):
        for node in ast.walk(root):
            if isinstance(node, ast.Constant) and node.value in ENV_VARS:
                secrets.add(str(node.value))
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            receiver = ast.unparse(node.func.value).split(".")[-1].lstrip("_")
            for protocol, methods in PROTOCOL_METHODS.items():
                kind = "store" if protocol == "ObjectStore" else "state"
                if receiver.endswith(kind) and node.func.attr in methods:
                    used.setdefault(protocol, set()).add(node.func.attr)
    if secrets:
        used["Secrets"] = {"get"}
    return used, secrets


def code_actions(role: str) -> dict[str, str]:
    """{IAM action: why} for every action the code of `role` calls."""
    calls = boto3_calls()
    unknown = sorted({(c.service, c.operation) for c in calls} - set(OPERATIONS))
    if unknown:
        raise AssertionError(f"boto3 operations without an IAM mapping in OPERATIONS: {unknown}")
    wrappers = wrapper_operations(calls)
    used, _ = role_uses(role)
    actions: dict[str, str] = {}
    for protocol, methods in used.items():
        for method in sorted(methods):
            for op in sorted(wrappers.get(protocol, {}).get(method, set())):
                for action in OPERATIONS[op]:
                    actions.setdefault(action, f"{protocol}.{method} -> {op[0]}.{op[1]}")
    service_dir = SERVICE_DIRS[role].relative_to(PACKAGES).as_posix()
    for call in calls:
        if call.path.startswith(service_dir):
            for action in OPERATIONS[(call.service, call.operation)]:
                actions.setdefault(action, f"{call.owner} -> {call.service}.{call.operation}")
    return actions


# -- the policy Terraform computes --------------------------------------------------------------

ROOT_TF = """
terraform {{
  required_providers {{
    aws = {{ source = "hashicorp/aws", version = "~> 5.0" }}
  }}
}}
provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "audit"
  secret_key                  = "audit"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
}}
module "iam" {{
  source                = "{module}"
  prefix                = "thoth-audit"
  partition             = "aws"
  region                = "us-east-1"
  account_id            = "123456789012"
  mcp_function_name     = "thoth-audit-mcp-server"
  refresh_function_name = "thoth-audit-refresh-service"
  bucket_arn            = "{bucket}"
  table_arn             = "{table}"
  api_key_secret_arn    = "{api_key}"
  gitlab_secret_arn     = "{gitlab}"
  cursor_secret_arn     = "{cursor}"
  front_secret_arns     = ["{front_client}", "{front_key}"]
  queue_arn             = "{queue}"
  dlq_arn               = "{dlq}"
  s3_sources            = [{{ bucket = "{source_bucket}", prefix = "{source_prefix}" }}]
}}
"""


def planned_policies(module: Path, work: Path) -> dict[str, dict[str, Any]]:
    """{"mcp"|"refresh": policy document} from `terraform plan` of `module` (local mirror only)."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.tf").write_text(
        ROOT_TF.format(
            module=module,
            bucket=BUCKET,
            table=TABLE,
            api_key=SECRET_ARNS["api-key"],
            gitlab=SECRET_ARNS["gitlab-token"],
            cursor=SECRET_ARNS["cursor-key"],
            front_client=SECRET_ARNS["oauth-client-secret"],
            front_key=SECRET_ARNS["oauth-signing-key"],
            queue=QUEUE,
            dlq=DLQ,
            source_bucket=S3_SOURCE["bucket"],
            source_prefix=S3_SOURCE["prefix"],
        )
    )
    env = dict(
        os.environ,
        TF_CLI_CONFIG_FILE=str(INFRA / "terraform.rc"),
        TF_DATA_DIR=str(work / ".terraform"),
        TF_IN_AUTOMATION="1",
    )
    for args in (
        ["init", "-backend=false", "-input=false", "-no-color"],
        ["plan", "-refresh=false", "-input=false", "-no-color", "-out=plan.bin"],
    ):
        done = subprocess.run(
            ["terraform", *args], cwd=work, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise AssertionError(f"terraform {args[0]} failed: {done.stdout}{done.stderr}")
    shown = subprocess.run(
        ["terraform", "show", "-json", "plan.bin"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    plan = json.loads(shown.stdout)
    policies = {}
    for resource in plan["planned_values"]["root_module"]["child_modules"][0]["resources"]:
        if resource["type"] == "aws_iam_role_policy":
            policies[resource["name"]] = json.loads(resource["values"]["policy"])
    return policies


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value or [])


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "sid": s.get("Sid", ""),
            "actions": _listed(s.get("Action")),
            "resources": _listed(s.get("Resource")),
            "condition": s.get("Condition", {}),
            "effect": s.get("Effect", "Allow"),
        }
        for s in policy["Statement"]
    ]


def expected_resources(role: str) -> dict[str, set[str]]:
    """{action: resources it may apply to}, from the key prefixes and partitions the code uses."""
    from thoth.refresh_service.sources.definitions import DEFAULT_CONFIG_KEY
    from thoth.shared.history import PREFIX as HISTORY_PREFIX
    from thoth.shared.index.format import version_prefix

    indexes = BUCKET + "/" + version_prefix("x", "y").split("/", 1)[0] + "/*"
    config = BUCKET + "/" + DEFAULT_CONFIG_KEY.split("/", 1)[0] + "/*"
    embeddings = BUCKET + "/cache/embeddings/*"
    history = BUCKET + "/" + HISTORY_PREFIX + "*"
    log_group = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/thoth-audit-{}:*"
    common = {
        "xray:PutTraceSegments": {"*"},
        "xray:PutTelemetryRecords": {"*"},
    }
    if role == "mcp":
        logs = log_group.format("mcp-server")
        return {
            **common,
            "logs:CreateLogStream": {logs},
            "logs:PutLogEvents": {logs},
            "s3:GetObject": {indexes, history},
            "s3:ListBucket": {BUCKET},
            "dynamodb:Query": {TABLE},
            # the authorization-server front (audited with it on): its state partitions and secrets
            "dynamodb:GetItem": {TABLE},
            "dynamodb:UpdateItem": {TABLE},
            "dynamodb:DeleteItem": {TABLE},
            "secretsmanager:GetSecretValue": {
                SECRET_ARNS[name]
                for name in ("api-key", "cursor-key", "oauth-client-secret", "oauth-signing-key")
            },
        }
    logs = log_group.format("refresh-service")
    source_objects, source_bucket = S3_SOURCE_ARNS
    return {
        **common,
        "logs:CreateLogStream": {logs},
        "logs:PutLogEvents": {logs},
        "s3:GetObject": {indexes, embeddings, config, history, source_objects},
        "s3:PutObject": {indexes, embeddings, history},
        "s3:DeleteObject": {indexes, embeddings, history},
        "s3:ListBucket": {BUCKET, source_bucket},
        "dynamodb:GetItem": {TABLE},
        "dynamodb:UpdateItem": {TABLE},
        "dynamodb:DeleteItem": {TABLE},
        "dynamodb:Query": {TABLE},
        "secretsmanager:GetSecretValue": {SECRET_ARNS["gitlab-token"]},
        "sqs:SendMessage": {QUEUE, DLQ},
        "sqs:ReceiveMessage": {QUEUE},
        "sqs:DeleteMessage": {QUEUE},
        "sqs:GetQueueAttributes": {QUEUE},
    }


def _leading_keys(role: str) -> list[str]:
    """State partitions the role's code reads or writes (pk values)."""
    from thoth.refresh_service.state import partition
    from thoth.shared.live import PARTITION

    return [PARTITION, *FRONT_PARTITIONS] if role == "mcp" else [PARTITION, partition("any-source")]


def audit(role: str, policy: dict[str, Any]) -> list[str]:
    """Every way `policy` differs from what `role`'s code calls; [] when it grants exactly that."""
    problems: list[str] = []
    needed = {**code_actions(role), **PLATFORM[role]}
    rules = statements(policy)
    granted: dict[str, set[str]] = {}
    for rule in rules:
        if rule["effect"] != "Allow":
            continue
        for action in rule["actions"]:
            if "*" in action:
                problems.append(f"{role}: statement {rule['sid']!r} grants a wildcard action {action!r}")
            granted.setdefault(action, set()).update(rule["resources"])
    for action in sorted(set(needed) - set(granted)):
        problems.append(f"{role}: the code needs {action} ({needed[action]}) but the policy lacks it")
    for action in sorted(set(granted) - set(needed)):
        problems.append(f"{role}: the policy grants {action}, which the code never calls")
    expected = expected_resources(role)
    for action in sorted(set(granted) & set(needed)):
        extra = granted[action] - expected.get(action, set())
        missing = expected.get(action, set()) - granted[action]
        if extra:
            problems.append(f"{role}: {action} is granted on {sorted(extra)}, beyond what the code touches")
        if missing:
            problems.append(f"{role}: {action} is not granted on {sorted(missing)}, which the code touches")
    problems += _conditions(role, rules)
    return problems


def _conditions(role: str, rules: Iterable[dict[str, Any]]) -> list[str]:
    problems = []
    reachable: list[str] = []
    for rule in rules:
        if "s3:ListBucket" in rule["actions"]:
            prefixes = [v for test in rule["condition"].values() for v in _listed(test.get("s3:prefix"))]
            if not prefixes:
                problems.append(f"{role}: {rule['sid']!r} lists a bucket without an s3:prefix condition")
        if any(a.startswith("dynamodb:") for a in rule["actions"]):
            keys = [
                v for test in rule["condition"].values() for v in _listed(test.get("dynamodb:LeadingKeys"))
            ]
            if not keys:
                problems.append(
                    f"{role}: {rule['sid']!r} reaches the state table without dynamodb:LeadingKeys"
                )
            reachable += keys
            if role == "mcp" and keys != ["live"] and sorted(keys) != sorted(FRONT_PARTITIONS):
                problems.append(
                    f"{role}: the internet-facing role must reach only the 'live' partition (reads) and the "
                    "front's OAuth partitions"
                )
            if role == "mcp" and keys == ["live"] and set(rule["actions"]) != {"dynamodb:Query"}:
                problems.append(f"{role}: {rule['sid']!r} may only query the 'live' partition")
    for pk in _leading_keys(role):
        if reachable and not any(fnmatch.fnmatchcase(pk, key) for key in reachable):
            problems.append(f"{role}: LeadingKeys {reachable} shut out partition {pk!r} the code uses")
    return problems


def copy_module(target: Path) -> Path:
    shutil.copytree(INFRA / "modules" / "iam", target)
    return target
