"""`nox -s doctor -- <env>`: the deployment guide's troubleshooting list, answered from the live env."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from typing import Any

from tools import runtimes
from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy import lambda_ops, store, version_smoke
from tools.deploy.build_outputs import UNZIPPED_BUDGET, load_zip

REQUIRED_ENV = ("ENVIRONMENT", "S3_BUCKET_NAME", "DYNAMODB_TABLE_NAME", "LOG_LEVEL")


@dataclass(frozen=True)
class Check:
    ok: bool
    what: str
    detail: str
    warn: bool = False  # passes, but says something the operator must act on soon

    def line(self) -> str:
        return f"{'FIX' if not self.ok else 'WARN' if self.warn else 'OK '} {self.what}: {self.detail}"


def _layers(session: Session, config: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for arn in lambda_ops.layer_arns(config):
        name, number = arn.rsplit(":", 2)[-2:]
        layer = session.cli.run(
            "lambda", "get-layer-version", "--layer-name", name, "--version-number", number
        )
        found.append({"arn": arn, "name": name, "version": int(number), **layer})
    return found


def runtime_check(config: dict[str, Any], today: date) -> Check:
    """The function's runtime against tools/runtimes.py: known, offered on its arch, not deprecated."""
    runtime, arch = lambda_ops.runtime_of(config)
    fix = f"build for {runtimes.DEFAULT} (`nox -s build_layer`), set mcp_runtime in the tfvars, apply, deploy"
    try:
        row = runtimes.get(runtime)
        runtimes.check_arch(row, arch)
    except ValueError as exc:
        return Check(False, "runtime", f"{exc}; {fix}")
    snap = (config.get("SnapStart") or {}).get("ApplyOn", "None")
    detail = f"{runtime} {arch} ({row.os}, glibc {row.glibc_text}), SnapStart {snap}"
    note = row.deprecation_note(today)
    if note is None:
        return Check(True, "runtime", f"{detail}; AWS deprecates it on {row.deprecated}")
    if today >= row.deprecated:
        return Check(False, "runtime", f"{detail}; {note}; {fix}")
    return Check(True, "runtime", f"{detail}; {note}: plan the move to {runtimes.DEFAULT}", warn=True)


def runtime_checks(config: dict[str, Any], layers: list[dict[str, Any]], today: date) -> list[Check]:
    """The function's runtime against the table, and against what each attached layer was built for."""
    runtime, arch = lambda_ops.runtime_of(config)
    checks = [runtime_check(config, today)]
    for layer in layers:
        runtimes = layer.get("CompatibleRuntimes") or []
        arches = layer.get("CompatibleArchitectures") or []
        ok = runtime in runtimes and (not arches or arch in arches)
        built = f"{', '.join(runtimes) or '?'} / {', '.join(arches) or '?'}"
        detail = f"built for {built}, function is {runtime} / {arch}"
        if not ok:
            detail += (
                f"; rebuild the layers for it (`nox -s build_layer -- --runtime {runtime} --arch {arch}`)"
            )
        checks.append(Check(ok, f"layer {layer['name']}:{layer['version']}", detail))
    return checks


def layer_checks(session: Session, layers: list[dict[str, Any]]) -> list[Check]:
    if not layers:
        return [Check(False, "layers", "none attached; run `nox -s deploy -- " + session.env.name + "`")]
    checks = []
    for layer in layers:
        listing = session.cli.run("lambda", "list-layer-versions", "--layer-name", layer["name"])
        newest = max((int(v["Version"]) for v in listing.get("LayerVersions", [])), default=layer["version"])
        ok = newest == layer["version"]
        detail = f"version {layer['version']} attached" + ("" if ok else f", {newest} published; redeploy")
        checks.append(Check(ok, f"attached {layer['name']}", detail))
    return checks


def size_check(session: Session, config: dict[str, Any], layers: list[dict[str, Any]]) -> Check:
    shas = [base64.b64decode(config["CodeSha256"]).hex()]
    shas += [str(layer.get("Description", "")).removeprefix("sha256:") for layer in layers]
    total = 0
    for sha in shas:
        path = store.find(session.env.name, sha)
        if path is None:
            return Check(
                False, "unzipped size", f"no local copy of artifact {sha[:12]}…; redeploy from this checkout"
            )
        total += load_zip(path).unzipped_bytes
    ok = total <= UNZIPPED_BUDGET
    detail = f"{total:,} of {UNZIPPED_BUDGET:,} bytes" + ("" if ok else "; trim the layer and redeploy")
    return Check(ok, "unzipped size", detail)


def env_check(session: Session, config: dict[str, Any]) -> Check:
    variables = config.get("Environment", {}).get("Variables", {})
    missing = [name for name in REQUIRED_ENV if not variables.get(name)]
    if missing:
        return Check(
            False,
            "environment",
            f"missing {', '.join(missing)}; run `nox -s infra -- {session.env.name} apply`",
        )
    if variables["ENVIRONMENT"] != session.env.name:
        return Check(
            False,
            "environment",
            f"ENVIRONMENT={variables['ENVIRONMENT']} on {session.env.name}; "
            "the function belongs to another environment: check the tfvars",
        )
    return Check(True, "environment", ", ".join(f"{k}={variables[k]}" for k in REQUIRED_ENV))


def alias_check(session: Session, function: str, latest: dict[str, Any]) -> tuple[Check, str | None]:
    try:
        version = lambda_ops.alias_version(session, function)
    except DeployError as exc:
        return Check(False, f"{function} alias live", str(exc)), None
    live = lambda_ops.function_config(session, function, version)
    detail = f"-> version {version}"
    if live.get("CodeSha256") != latest.get("CodeSha256"):
        # Expected after `nox -s rollback`; otherwise a deploy stopped before moving the alias.
        fix = f"nox -s deploy -- {session.env.name}"
        detail += f" (behind $LATEST: expected after a rollback, else rerun `{fix}`)"
    return Check(True, f"{function} alias live", detail), version


def serving_checks(session: Session, version: str) -> list[Check]:
    """The `live` version's artifacts, run here: the handler answers, /health is ok, a search has results."""
    env = session.env
    secret = env.secret("api-key")
    put = (
        f"`nox -s refresh_remote -- {env.name}` puts one"
        if env.embedded
        else f"put one: `aws secretsmanager put-secret-value --secret-id {secret} --secret-string <key>`"
    )
    try:
        key, no_key = version_smoke.api_key(session), f"{secret} holds no API key; {put}"
    except DeployError as exc:
        key, no_key = None, f"{exc}; {put}"
    try:
        probe = version_smoke.probe_local(session, env.mcp_function, version, key)
    except DeployError as exc:
        return [Check(False, "handler importable", str(exc))]
    if probe.error is not None:
        return [Check(False, "handler importable (deployed artifacts, run here)", probe.error)]
    alive, detail = version_smoke.judge_health(*probe.health)
    answered = f"the handler answered /health with {probe.health[0]}" if alive else detail
    checks = [Check(alive, "handler importable (deployed artifacts, run here)", answered)]
    if not alive:
        return checks
    if not probe.serving:
        fix = version_smoke.degraded_fix(env.name, probe.health[1])
        return [*checks, Check(False, "health", f"{detail}; {fix}")]
    checks.append(Check(True, "health", detail))
    if probe.search is None:
        return [*checks, Check(False, "search", f"not tried: {no_key}")]
    found, what = version_smoke.judge_search(probe.search)
    if not found:
        what += (
            f"; see `nox -s logs -- {env.name}`, then republish with `nox -s refresh_remote -- {env.name}`"
        )
    return [*checks, Check(found, "search", what)]


def observability_checks(session: Session) -> list[Check]:
    """The dashboard, the alarms and their topic that infra/modules/observability creates."""
    env, fix = session.env, f"run `nox -s infra -- {session.env.name} apply`"
    dashboard = session.cli.try_run(
        "cloudwatch", "get-dashboard", "--dashboard-name", f"{env.prefix}-overview",
        missing=("ResourceNotFound", "ResourceNotFoundException"),
    )  # fmt: skip
    checks = [
        Check(
            dashboard is not None, "dashboard", f"{env.prefix}-overview" if dashboard else f"missing; {fix}"
        )
    ]
    topics = session.cli.run("sns", "list-topics").get("Topics", [])
    topic = next((t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{env.prefix}-alarms")), None)
    checks.append(Check(topic is not None, "alarm topic", topic or f"missing; {fix}"))
    alarms = session.cli.run("cloudwatch", "describe-alarms", "--alarm-name-prefix", env.prefix)
    ours = alarms.get("MetricAlarms", [])
    for kind in ("index-stale", "refresh-failed", "refresh-stopped"):
        named = [a for a in ours if a["AlarmName"].startswith(f"{env.prefix}-{kind}-")]
        wired = [a for a in named if topic and topic in a.get("AlarmActions", [])]
        ok = bool(named) and len(wired) == len(named)
        if not named:
            detail = f"missing; {fix}"
        else:
            states = ", ".join(sorted({str(a.get("StateValue")) for a in named}))
            detail = f"{len(named)} alarm(s), state {states}" + (
                "" if ok else f"; not all notify the topic: {fix}"
            )
        checks.append(Check(ok, f"{kind} alarms", detail))
    return checks


def run(session: Session) -> int:
    session.check_credentials()
    env = session.env
    checks: list[Check] = []
    config = lambda_ops.function_config(session, env.mcp_function)
    layers = _layers(session, config)
    checks += runtime_checks(config, layers, date.today())
    checks += layer_checks(session, layers)
    checks.append(size_check(session, config, layers))
    checks.append(env_check(session, config))
    alias, version = alias_check(session, env.mcp_function, config)
    checks.append(alias)
    if version is not None:
        checks += serving_checks(session, version)
    refresh = session.cli.try_run(
        "lambda",
        "get-function",
        "--function-name",
        env.refresh_function,
        missing=("ResourceNotFoundException",),
    )
    if refresh is None:
        checks.append(
            Check(
                False,
                "refresh service",
                f"not provisioned; push an image (`nox -s deploy -- {env.name}`)"
                f" then `nox -s infra -- {env.name} apply`",
            )
        )
    else:
        uri = str(refresh.get("Code", {}).get("ImageUri", ""))
        checks.append(
            Check(
                "@sha256:" in uri,
                "refresh image",
                uri
                if "@sha256:" in uri
                else f"{uri} is not pinned by digest; run `nox -s deploy -- {env.name}`",
            )
        )
        refresh_alias, _ = alias_check(session, env.refresh_function, refresh["Configuration"])
        checks.append(refresh_alias)
    checks += observability_checks(session)
    for check in checks:
        print(check.line())
    failed = [c for c in checks if not c.ok]
    warned = sum(1 for c in checks if c.ok and c.warn)
    print(
        f"doctor {env.name}: {len(checks) - len(failed)} OK ({warned} with a warning), {len(failed)} to fix"
    )
    return 1 if failed else 0
