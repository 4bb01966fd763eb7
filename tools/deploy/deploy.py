"""`nox -s deploy -- <env> [--json]`: the deployment guide's AWS CLI steps, idempotent and reversible."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from tools.aws.callcount import changing_calls
from tools.aws.envs import Env
from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.build.base_image import is_standin
from tools.deploy import build_outputs, image_registry, lambda_ops, store, version_smoke
from tools.deploy.release import Release, release


def _layers(args: argparse.Namespace) -> list[Path]:
    if args.layer:
        return [Path(p) for p in args.layer.split(",") if p]
    return [p for p in build_outputs.DEFAULT_LAYERS if p.exists()] or [build_outputs.DEFAULT_LAYERS[0]]


def _bucket(config: dict[str, Any], session: Session) -> str:
    bucket = config.get("Environment", {}).get("Variables", {}).get("S3_BUCKET_NAME")
    if not bucket:
        return f"{session.env.prefix}-{session.account_id()}"
    return str(bucket)


def deploy_mcp(
    session: Session, function_zip: build_outputs.ZipArtifact, layer_zips: list[build_outputs.ZipArtifact]
) -> tuple[dict[str, Any], dict[str, Any], Release]:
    """Steps 2, 3 and 5 for the MCP server: layers, code, then publish + alias + version_smoke."""
    env, name = session.env, session.env.mcp_function
    config = lambda_ops.function_config(session, name)
    runtime, arch = lambda_ops.runtime_of(config)
    built = build_outputs.built_for([function_zip.path, *(layer.path for layer in layer_zips)])
    if built is not None and built != (runtime, arch):
        raise DeployError(
            f"{name} runs {runtime} {arch} but the artifacts are built for {built[0]} {built[1]}; "
            f"build for the function (`nox -s build_layer -- --runtime {runtime} --arch {arch}`) "
            f"or move the function (mcp_runtime / mcp_architecture in "
            f"infra/environments/{env.name}.tfvars, then "
            f"`nox -s infra -- {env.name} apply`)"
        )
    bucket = _bucket(config, session)
    layers = []
    for layer_zip in layer_zips:
        result = lambda_ops.ensure_layer(session, layer_zip, bucket, runtime, arch)
        store.keep(env.name, layer_zip)
        print(f"layer {result.name}: {result.action} (version {result.version})")
        layers.append(result)
    store.keep(env.name, function_zip)
    code_action = "unchanged"
    if config.get("CodeSha256") != function_zip.code_sha256:
        print(f"function {name}: code sha256 changed, updating")
        lambda_ops.update_code_zip(session, name, function_zip, bucket)
        code_action = "updated"
    wanted = [layer.arn for layer in layers]
    if lambda_ops.layer_arns(config) != wanted:
        names = ", ".join(":".join(arn.rsplit(":", 2)[-2:]) for arn in wanted)
        print(f"function {name}: attaching layers {names}")
        lambda_ops.update_layers(session, name, wanted)
        code_action = "updated"
    done = release(session, name, lambda version: version_smoke.mcp_server(session, name, version))
    if done.action == "released":
        code_action = "updated"
        if done.smoke is not None:
            print(f"  smoke: {done.smoke.detail}")
    layer_json = {
        "action": "published" if any(layer.action == "published" for layer in layers) else "unchanged",
        "version": layers[0].version if layers else None,
        "arn": layers[0].arn if layers else None,
        "layers": [
            {"name": x.name, "action": x.action, "version": x.version, "arn": x.arn, "sha256": x.sha256}
            for x in layers
        ],
    }
    mcp_json = {
        "action": code_action,
        "version": done.version,
        "previous_version": done.previous,
        "arn": f"{config['FunctionArn']}:{done.version}",
        "sha256": function_zip.sha256,
    }
    return layer_json, mcp_json, done


def check_base(env: Env, container: build_outputs.ContainerImage) -> None:
    """A real environment never runs an image built on the local stand-in base (the rehearsal may)."""
    if not env.embedded and is_standin(container.base_image):
        raise DeployError(
            f"{container.metadata} records an image built on the local stand-in base {container.base_image} "
            f"(for the `local` rehearsal and tests only); rebuild it on the real base with "
            f"`nox -s build_container` where a registry is reachable, then `nox -s deploy -- {env.name}`"
        )


def preflight_image(
    session: Session, container: build_outputs.ContainerImage
) -> tuple[image_registry.Repository, str | None]:
    """Before anything is published: the repository exists, and an image that must be pushed is built."""
    repo = image_registry.repository(session)
    digest = image_registry.image_digest(session, container.tag)
    if digest is None:
        image_registry.storage(image_registry.push_tool(), container.reference)
    return repo, digest


def deploy_refresh(
    session: Session, container: build_outputs.ContainerImage
) -> tuple[dict[str, Any], Release | None]:
    """Step 4 and 5 for the refresh service: push when the tag is absent, pin the function to the digest."""
    env, name = session.env, session.env.refresh_function
    repo, digest = preflight_image(session, container)
    action = "unchanged"
    if digest is None:
        digest = image_registry.push(session, repo, container)
        action = "pushed"
    uri = f"{repo.uri}@{digest}"
    print(f"image {repo.name}:{container.tag}: {action} ({digest[:19]}…)")
    got = session.cli.try_run(
        "lambda", "get-function", "--function-name", name, missing=("ResourceNotFoundException",)
    )
    if got is None:
        print(
            f"function {name} is not provisioned yet: run `nox -s infra -- {env.name} apply` "
            "(it creates the function from the pushed image)"
        )
        return {"action": action, "digest": digest, "image_uri": uri, "version": None}, None
    if got.get("Code", {}).get("ImageUri") != uri:
        print(f"function {name}: pinning image {uri}")
        lambda_ops.update_code_image(session, name, uri)
        action = "pushed" if action == "pushed" else "updated"
    done = release(session, name, lambda version: version_smoke.refresh_service(session, name, version, uri))
    if done.action == "released" and action == "unchanged":
        action = "updated"
    return {
        "action": action,
        "digest": digest,
        "image_uri": uri,
        "version": done.version,
        "previous_version": done.previous,
    }, done


def _smoke_json(release_: Release | None) -> dict[str, Any] | None:
    if release_ is None:
        return None
    if release_.smoke is None:
        return {
            "passed": True,
            "mode": "unchanged",
            "detail": f"`live` already on version {release_.version}",
        }
    return release_.smoke.as_json()


def run(session: Session, args: argparse.Namespace) -> int:
    env = session.env
    session.check_credentials()
    if not args.no_build:
        runtime, arch = lambda_ops.runtime_of(lambda_ops.function_config(session, env.mcp_function))
        # Only the rehearsal may build the refresh image on the stand-in base (offline, no registry).
        build_outputs.build(
            image=not args.skip_image and not args.container, runtime=runtime, arch=arch,
            standin_fallback=env.embedded,
        )  # fmt: skip
    function_zip = build_outputs.load_zip(
        Path(args.function) if args.function else build_outputs.DEFAULT_FUNCTION
    )
    layer_zips = [build_outputs.load_zip(p) for p in _layers(args)]
    total = build_outputs.check_budget(function_zip, layer_zips)
    container = None
    if not args.skip_image:
        container = build_outputs.load_container(
            Path(args.container) if args.container else build_outputs.DEFAULT_CONTAINER
        )
    server_log = session.server_log()
    mark = server_log.mark() if server_log else None
    print(
        f"deploy {env.name}: function + {len(layer_zips)} layer(s) unzip to {total:,} of "
        f"{build_outputs.UNZIPPED_BUDGET:,} bytes"
    )
    if container is not None:
        check_base(env, container)
        preflight_image(session, container)  # fail before the MCP server changes, not half-way
    layer_json, mcp_json, mcp_release = deploy_mcp(session, function_zip, layer_zips)
    refresh_json: dict[str, Any] = {"action": "skipped", "reason": "--skip-image"}
    refresh_release = None
    if container is not None:
        refresh_json, refresh_release = deploy_refresh(session, container)
    summary: dict[str, Any] = {
        "environment": env.name,
        "layer": layer_json,
        "mcp_server": mcp_json,
        "refresh_service": refresh_json,
        "smoke": {"mcp_server": _smoke_json(mcp_release), "refresh_service": _smoke_json(refresh_release)},
        "aws_cli_calls": len(session.cli.calls),
    }
    if server_log is not None and mark is not None:
        counts = server_log.since(mark)
        summary["server_calls"] = {"total": sum(counts.values()), "changing": changing_calls(counts)}
    print(
        f"summary ({env.name}): layer {layer_json['action']}, mcp-server {mcp_json['action']} "
        f"(live = {mcp_json['version']}), refresh-service {refresh_json['action']}"
        + (f" (live = {refresh_json.get('version')})" if refresh_json.get("version") else "")
        + f"; {len(session.cli.calls)} AWS CLI calls"
    )
    if args.json:
        print(json.dumps(summary, sort_keys=True))
    return 0
