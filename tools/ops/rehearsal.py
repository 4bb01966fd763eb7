"""`refresh_remote -- local`: the refresh handler run in this process on the embedded AWS, as Lambda would.

moto cannot execute Lambda code, so the function's own handler (`thoth.refresh_service.handler.handler`)
runs here with the function's environment (its bucket, table and queue on the moto server), a
throwaway /tmp, a deadline of the function's timeout, and the event the EventBridge schedule sends.
What a fresh rehearsal lacks, and a real environment gets out of band, is put in place and said: a
sources file (samples/handbook as source `handbook`, uploaded under sources/handbook/) and a value
for the api-key secret. Then the deployed MCP server's artifacts answer a search against the index
that was just published; the command fails unless it returns results.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import lambda_ops, version_smoke
from tools.ops.refresh_remote import event_for
from tools.paths import ROOT

SAMPLES = ROOT / "samples" / "handbook"
SOURCE = "handbook"  # the name infra's monitored_sources (freshness alarms) watches by default
SOURCES_KEY = "config/sources.yaml"
SOURCES_PREFIX = f"sources/{SOURCE}/"  # the refresh role may read it: s3_sources in environments/local.tfvars
SOURCES_FILE = """# Written by `nox -s refresh_remote -- local`: samples/handbook, uploaded beside this file.
# Replace this object to index your own sources (see samples/sources.yaml).
sources:
  - name: {name}
    kind: s3
    location: s3://{bucket}/{prefix}
    include: ["**/*.md", "**/*.txt"]
    base_url: https://handbook.papyrus.example/
"""
# What the refresh image sets (packages/refresh_service/Dockerfile), with /tmp made this run's own.
IMAGE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PYTHONDONTWRITEBYTECODE": "1"}


class Context:
    """The Lambda context the handler reads: names, request id and the remaining time."""

    def __init__(self, function: str, version: str, memory_mb: int, timeout_s: float) -> None:
        self.function_name = function
        self.function_version = version
        self.memory_limit_in_mb = memory_mb
        self.aws_request_id = f"rehearsal-{int(time.time())}"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def ensure_sources(session: Session, bucket: str) -> None:
    """Upload samples/handbook and a sources file naming it, unless the bucket already has a sources file."""
    found = session.cli.try_run(
        "s3api", "head-object", "--bucket", bucket, "--key", SOURCES_KEY, missing=("404", "NoSuchKey")
    )
    if found is not None:
        print(f"sources: s3://{bucket}/{SOURCES_KEY} (as it is)")
        return
    files = sorted(p for p in SAMPLES.rglob("*") if p.is_file())
    session.cli.run(
        "s3", "sync", "--only-show-errors", str(SAMPLES), f"s3://{bucket}/{SOURCES_PREFIX}", output=False
    )
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        handle.write(SOURCES_FILE.format(name=SOURCE, bucket=bucket, prefix=SOURCES_PREFIX))
    try:
        session.cli.run(
            "s3api", "put-object", "--bucket", bucket, "--key", SOURCES_KEY, "--body", handle.name
        )
    finally:
        os.unlink(handle.name)
    print(
        f"sources: none configured in s3://{bucket}/{SOURCES_KEY}; the rehearsal put samples/handbook there "
        f"as source `{SOURCE}` ({len(files)} files under s3://{bucket}/{SOURCES_PREFIX})"
    )


def ensure_api_key(session: Session) -> str:
    """A key from the api-key secret; when it has no value, a generated one is put there (never shown)."""
    key = version_smoke.api_key(session)
    if key is not None:
        return key
    key = secrets.token_urlsafe(32)
    secret = session.env.secret("api-key")
    session.cli.run("secretsmanager", "put-secret-value", "--secret-id", secret, "--secret-string", key)
    print(
        f"api key: {secret} had no value; the rehearsal put a generated one there "
        f"(`aws secretsmanager get-secret-value --secret-id {secret}` against the embedded AWS shows it)"
    )
    return key


@contextmanager
def lambda_environment(variables: dict[str, str]) -> Iterator[None]:
    """os.environ as the function sees it, for the length of the block; Thoth's cached settings follow."""
    from thoth.shared import aws
    from thoth.shared.config import get_settings

    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("THOTH_", "AWS_", "HF_", "TRANSFORMERS_")):
            del os.environ[name]  # this shell's settings are not the function's
    os.environ.update(variables)
    get_settings.cache_clear()
    aws.reset_clients()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
        aws.reset_clients()


def run_handler(session: Session, event: dict[str, Any]) -> dict[str, Any]:
    """The refresh function's `live` version, run here on `event` with the function's environment."""
    try:
        from thoth.refresh_service.handler import handler
    except ImportError as exc:
        raise DeployError(
            f"the refresh service cannot be imported here ({exc}); run the rehearsal through "
            "`nox -s refresh_remote -- local`, whose dev environment has it (torch, sentence-transformers)"
        ) from None
    env = session.env
    version = lambda_ops.alias_version(session, env.refresh_function)
    config = lambda_ops.function_config(session, env.refresh_function, version)
    with tempfile.TemporaryDirectory(prefix="thoth-rehearsal-tmp-") as tmp:
        variables = {
            **IMAGE_ENV,
            "THOTH_HOME": f"{tmp}/thoth",
            "THOTH_CACHE_DIR": f"{tmp}/thoth-cache",
            "HF_HOME": f"{tmp}/hf",
            "AWS_REGION": env.region,  # Lambda sets both
            "AWS_DEFAULT_REGION": env.region,
            **config.get("Environment", {}).get("Variables", {}),
            **session.cli.env,  # the moto server and its fake credentials
            "AWS_LAMBDA_FUNCTION_NAME": env.refresh_function,
            "AWS_LAMBDA_FUNCTION_VERSION": version,
        }
        context = Context(
            env.refresh_function,
            version,
            int(config.get("MemorySize", 2048)),
            float(config.get("Timeout", 900)),
        )
        print(f"refresh: {env.refresh_function}:{version}'s handler runs here (moto cannot run Lambda code)")
        started = time.monotonic()
        with lambda_environment(variables):
            report = handler(event, context)
    print(f"refresh: the handler returned {report.get('status')!r} in {time.monotonic() - started:.1f} s")
    return report


def search_smoke(session: Session, key: str) -> version_smoke.Probe:
    """The MCP server's `live` artifacts, run here: /health must be ok and a search must return results."""
    function = session.env.mcp_function
    version = lambda_ops.alias_version(session, function)
    probe = version_smoke.probe_local(session, function, version, key)
    fix = f"deploy the MCP server first (`nox -s deploy -- {session.env.name}`)"
    if probe.error is not None:
        raise DeployError(f"{function}:{version} did not answer ({probe.error}); {fix}")
    healthy, detail = version_smoke.judge_health(*probe.health)
    if not probe.serving:
        raise DeployError(f"{function}:{version}: {detail}" + ("" if healthy else f"; {fix}"))
    assert probe.search is not None
    found, what = version_smoke.judge_search(probe.search)
    print(f"search smoke: {function}:{version} {detail}; {what}")
    if not found:
        raise DeployError(f"{function}:{version}: {what} against the index just published")
    return probe


def refresh(session: Session, source: str) -> int:
    """Refresh on the embedded AWS with the function's own handler, then search through the MCP server."""
    env = session.env
    session.check_credentials()
    config = lambda_ops.function_config(session, env.refresh_function)
    variables = config.get("Environment", {}).get("Variables", {})
    bucket = variables.get("S3_BUCKET_NAME")
    if not bucket:
        raise DeployError(
            f"{env.refresh_function} has no S3_BUCKET_NAME; run `nox -s infra -- {env.name} apply`"
        )
    if not variables.get("THOTH_SOURCES_CONFIG"):
        ensure_sources(session, bucket)
    key = ensure_api_key(session)
    event = event_for(session, source)
    print(f"event: {json.dumps(event, sort_keys=True)}")
    report = run_handler(session, event)
    print(json.dumps(report, indent=2, sort_keys=True))
    if report.get("status") == "error":
        raise DeployError(f"the refresh of {source} failed: {report.get('error')}")
    search_smoke(session, key)
    sources = report.get("sources") or [report]
    published = ", ".join(
        f"{r.get('source')} {r.get('status')} (version {r.get('index_version')})" for r in sources
    )
    print(f"refresh_remote {env.name}: {published}; the MCP server's `live` version answers searches from it")
    return 0
