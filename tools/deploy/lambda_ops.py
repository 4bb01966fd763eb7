"""Lambda calls the deploy makes, each one AWS CLI command: layers, code, versions, the `live` alias."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tools.aws.errors import AwsCallError, DeployError
from tools.aws.session import Session
from tools.deploy.build_outputs import ZipArtifact

ALIAS = "live"


@dataclass(frozen=True)
class LayerResult:
    name: str
    action: str  # published | unchanged
    arn: str  # the layer version ARN
    version: int
    sha256: str


def layer_name(session: Session, artifact: ZipArtifact) -> str:
    return f"{session.env.prefix}-{artifact.name.removeprefix('thoth-')}"


def _description(artifact: ZipArtifact) -> str:
    return f"sha256:{artifact.sha256}"


def upload(session: Session, bucket: str, key: str, artifact: ZipArtifact) -> None:
    """Put an artifact too big for a direct upload into the environment's bucket."""
    print(f"  uploading {artifact.path.name} ({artifact.zip_bytes:,} bytes > 50 MB) to s3://{bucket}/{key}")
    session.cli.run("s3api", "put-object", "--bucket", bucket, "--key", key, "--body", str(artifact.path))


def ensure_layer(
    session: Session, artifact: ZipArtifact, bucket: str, runtime: str, arch: str
) -> LayerResult:
    """Publish a layer version only when the zip's sha256 differs from the latest published version's.

    `runtime` and `arch` are what the layer was built for (a row of tools/runtimes.py).
    """
    name = layer_name(session, artifact)
    listing = session.cli.run("lambda", "list-layer-versions", "--layer-name", name)
    versions = (listing or {}).get("LayerVersions", [])
    if versions:
        latest = max(versions, key=lambda v: int(v["Version"]))
        if latest.get("Description") == _description(artifact):
            return LayerResult(
                name, "unchanged", latest["LayerVersionArn"], int(latest["Version"]), artifact.sha256
            )
    args = [
        "--layer-name",
        name,
        "--description",
        _description(artifact),
        "--compatible-runtimes",
        runtime,
        "--compatible-architectures",
        arch,
    ]
    if artifact.via_s3:
        key = f"artifacts/layers/{name}/{artifact.sha256}.zip"
        upload(session, bucket, key, artifact)
        args += ["--content", f"S3Bucket={bucket},S3Key={key}"]
    else:
        args += ["--zip-file", f"fileb://{artifact.path}"]
    published = session.cli.run("lambda", "publish-layer-version", *args)
    reported = published.get("Content", {}).get("CodeSha256")
    if reported and reported != artifact.code_sha256:
        raise DeployError(
            f"layer {name} version {published['Version']} reports CodeSha256 {reported}, "
            f"expected {artifact.code_sha256}; the upload was corrupted, redeploy"
        )
    return LayerResult(
        name, "published", published["LayerVersionArn"], int(published["Version"]), artifact.sha256
    )


def function_config(session: Session, function: str, qualifier: str | None = None) -> dict[str, Any]:
    args = ["--function-name", function] + (["--qualifier", qualifier] if qualifier else [])
    try:
        return dict(session.cli.run("lambda", "get-function-configuration", *args))
    except AwsCallError as exc:
        if exc.code == "ResourceNotFoundException":
            raise DeployError(
                f"function {function}{':' + qualifier if qualifier else ''} does not exist in "
                f"{session.env.name}; run `nox -s infra -- {session.env.name} apply` first"
            ) from None
        raise


def wait_updated(session: Session, function: str) -> dict[str, Any]:
    """Wait for `function-updated`, then fail loudly if the update did not succeed."""
    try:
        session.cli.run("lambda", "wait", "function-updated", "--function-name", function, output=False)
    except AwsCallError as exc:
        config = function_config(session, function)
        reason = config.get("LastUpdateStatusReason") or str(exc)
        raise DeployError(
            f"the update of {function} failed ({config.get('LastUpdateStatus')}: {reason}); "
            f"`live` still points at the previous version; fix the artifact and redeploy"
        ) from None
    config = function_config(session, function)
    if config.get("LastUpdateStatus") not in (None, "Successful"):
        raise DeployError(
            f"the update of {function} ended {config.get('LastUpdateStatus')}: "
            f"{config.get('LastUpdateStatusReason')}; `live` still points at the previous version"
        )
    return config


def update_code_zip(session: Session, function: str, artifact: ZipArtifact, bucket: str) -> None:
    if artifact.via_s3:
        key = f"artifacts/functions/{function}/{artifact.sha256}.zip"
        upload(session, bucket, key, artifact)
        source = ["--s3-bucket", bucket, "--s3-key", key]
    else:
        source = ["--zip-file", f"fileb://{artifact.path}"]
    session.cli.run("lambda", "update-function-code", "--function-name", function, *source)
    wait_updated(session, function)


def update_code_image(session: Session, function: str, image_uri: str) -> None:
    session.cli.run("lambda", "update-function-code", "--function-name", function, "--image-uri", image_uri)
    wait_updated(session, function)


def update_layers(session: Session, function: str, arns: list[str]) -> None:
    """Attach exactly these layer versions; every other setting is left as it is."""
    session.cli.run("lambda", "update-function-configuration", "--function-name", function, "--layers", *arns)
    wait_updated(session, function)


def runtime_of(config: dict[str, Any]) -> tuple[str, str]:
    """(Runtime, architecture) of a function configuration."""
    return str(config.get("Runtime")), str((config.get("Architectures") or ["x86_64"])[0])


def layer_arns(config: dict[str, Any]) -> list[str]:
    return [str(layer["Arn"]) for layer in config.get("Layers", [])]


def alias_version(session: Session, function: str) -> str:
    try:
        alias = session.cli.run("lambda", "get-alias", "--function-name", function, "--name", ALIAS)
    except AwsCallError as exc:
        if exc.code == "ResourceNotFoundException":
            raise DeployError(
                f"{function} has no `{ALIAS}` alias; run `nox -s infra -- {session.env.name} apply`"
            ) from None
        raise
    return str(alias["FunctionVersion"])


def move_alias(session: Session, function: str, version: str) -> None:
    session.cli.run(
        "lambda", "update-alias", "--function-name", function, "--name", ALIAS, "--function-version", version
    )


def publish_version(session: Session, function: str, code_sha256: str) -> str:
    published = session.cli.run(
        "lambda",
        "publish-version",
        "--function-name",
        function,
        "--code-sha256",
        code_sha256,
        "--description",
        "nox -s deploy",
    )
    version = str(published["Version"])
    if published.get("State") == "Pending":  # SnapStart: the snapshot is taken before it can serve
        print(f"  {function}: version {version} is taking its SnapStart snapshot; waiting until it is Active")
        try:
            session.cli.run("lambda", "wait", "published-version-active", "--function-name", function,
                            "--qualifier", version, output=False)  # fmt: skip
        except AwsCallError:
            config = function_config(session, function, version)
            raise DeployError(
                f"version {version} of {function} did not become Active ({config.get('State')}: "
                f"{config.get('StateReason')}); `live` was not moved; fix the cause (a failing init or "
                "before-snapshot hook shows in the function's logs) and redeploy"
            ) from None
    return version


def list_versions(session: Session, function: str) -> list[str]:
    listing = session.cli.run("lambda", "list-versions-by-function", "--function-name", function)
    numbers = [v["Version"] for v in listing.get("Versions", []) if v["Version"] != "$LATEST"]
    return sorted(numbers, key=int)
