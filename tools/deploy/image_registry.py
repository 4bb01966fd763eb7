"""The refresh image: ECR login, push only when the content tag is absent, and (local) pull back by digest."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from tools.aws.envs import thoth_home
from tools.aws.errors import AwsCallError, DeployError
from tools.aws.session import Session
from tools.deploy.build_outputs import ContainerImage

PUSH_TOOLS = ("buildah", "podman", "docker")
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)
_AUTH_FAILURES = (
    "unauthorized",
    "authentication required",
    "invalid username/password",
    "denied",
    "401",
    "403",
    "expired",
)


@dataclass(frozen=True)
class Repository:
    name: str
    uri: str  # <registry>/<name> as ECR reports it

    @property
    def ecr_host(self) -> str:
        return self.uri.split("/", 1)[0]


def push_tool() -> str:
    for name in PUSH_TOOLS:
        if shutil.which(name):
            return name
    raise DeployError("no container tool to push the image; install buildah (or podman/docker)")


def repository(session: Session) -> Repository:
    try:
        found = session.cli.run("ecr", "describe-repositories", "--repository-names", session.env.repository)
    except AwsCallError as exc:
        if exc.code == "RepositoryNotFoundException":
            raise DeployError(
                f"ECR repository {session.env.repository} does not exist; run "
                f"`nox -s infra -- {session.env.name} apply` first"
            ) from None
        raise
    repo = found["repositories"][0]
    return Repository(repo["repositoryName"], repo["repositoryUri"])


def registry_host(session: Session, repo: Repository) -> str:
    """Where image bytes go: ECR's registry, or the local docker-registry standing in for it."""
    return session.local.registry if session.local else repo.ecr_host


def _tool_env() -> dict[str, str]:
    auth = thoth_home() / "deploy" / "registry-auth.json"
    auth.parent.mkdir(parents=True, exist_ok=True)
    return dict(os.environ, REGISTRY_AUTH_FILE=str(auth))


def _insecure(session: Session, tool: str) -> list[str]:
    return ["--tls-verify=false"] if session.local and tool in ("buildah", "podman") else []


def _run(argv: list[str], what: str, stdin: str | None = None) -> str:
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True, env=_tool_env(), check=False)
    if proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-600:]
        if any(word in detail.lower() for word in _AUTH_FAILURES):
            raise DeployError(
                f"{what}: the registry refused the ECR login ({detail}); the token from "
                "`aws ecr get-login-password` lasts 12 hours and needs ecr:GetAuthorizationToken: rerun the "
                "deploy (it logs in again) after refreshing your AWS credentials"
            )
        raise DeployError(f"{what} failed: {detail}")
    return proc.stdout


def login(session: Session, tool: str, host: str) -> None:
    """`aws ecr get-login-password | <tool> login --username AWS --password-stdin <registry>`."""
    password = str(session.cli.run("ecr", "get-login-password", output=False)).strip()
    if not password:
        raise DeployError("`aws ecr get-login-password` returned nothing; check ecr:GetAuthorizationToken")
    _run(
        [tool, "login", *_insecure(session, tool), "--username", "AWS", "--password-stdin", host],
        f"{tool} login {host}",
        stdin=password,
    )


def image_digest(session: Session, tag: str) -> str | None:
    """The digest of `tag` in the ECR repository, or None when the tag is absent."""
    found = session.cli.try_run(
        "ecr",
        "describe-images",
        "--repository-name",
        session.env.repository,
        "--image-ids",
        f"imageTag={tag}",
        missing=("ImageNotFoundException",),
    )
    details = (found or {}).get("imageDetails", [])
    return str(details[0]["imageDigest"]) if details else None


def _manifest(session: Session, digest: str) -> tuple[str, str]:
    assert session.local is not None
    url = f"http://{session.local.registry}/v2/{session.env.repository}/manifests/{digest}"
    request = urllib.request.Request(url, headers={"Accept": ", ".join(MANIFEST_TYPES)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read().decode(), response.headers.get("Content-Type", MANIFEST_TYPES[0])
    except (urllib.error.URLError, OSError) as exc:
        raise DeployError(
            f"the local registry has no manifest {digest} ({exc}); the push did not land"
        ) from exc


def storage(tool: str, reference: str) -> list[str]:
    """Global flags that find `reference` in local storage (the packaging build uses buildah's vfs)."""
    if tool == "docker":
        return []
    for flags in ([], ["--storage-driver", "vfs"], ["--storage-driver", "overlay"]):
        argv = [tool, *flags, "inspect", "--type", "image", reference]
        if subprocess.run(argv, capture_output=True, check=False).returncode == 0:
            return flags
    raise DeployError(
        f"image {reference} is not in local container storage; rebuild it (`nox -s build_container`)"
    )


def push(session: Session, repo: Repository, image: ContainerImage) -> str:
    """Push `image` as <repository>:<tag>; returns the pushed manifest digest."""
    tool = push_tool()
    flags = storage(tool, image.reference)
    host = registry_host(session, repo)
    login(session, tool, host)
    target = f"{host}/{repo.name}:{image.tag}"
    print(f"  pushing {image.reference} to {target} with {tool}")
    with tempfile.TemporaryDirectory() as tmp:
        digest_file = Path(tmp) / "digest"
        if tool == "docker":
            _run([tool, "tag", image.reference, target], "docker tag")
            out = _run([tool, "push", target], f"docker push {target}")
            digest = next((w for w in out.split() if w.startswith("sha256:")), "")
        else:
            # The local registry is on loopback: skip gzip, which costs minutes for a torch image.
            options = [*_insecure(session, tool), "--digestfile", str(digest_file)]
            if session.local:
                options.append("--disable-compression")
            argv = [tool, *flags, "push", *options, image.reference, f"docker://{target}"]
            _run(argv, f"{tool} push {target}")
            digest = digest_file.read_text().strip()
    if not digest.startswith("sha256:"):
        raise DeployError(f"{tool} push {target} reported no digest; check the registry")
    if session.local is not None:
        # moto's ECR has no registry endpoint: record the pushed manifest there, digest and all.
        manifest, media_type = _manifest(session, digest)
        session.cli.run(
            "ecr",
            "put-image",
            "--repository-name",
            repo.name,
            "--image-tag",
            image.tag,
            "--image-manifest",
            manifest,
            "--image-manifest-media-type",
            media_type,
            "--image-digest",
            digest,
        )
    return digest


def pull_back(session: Session, digest: str) -> None:
    """Pull <repository>@<digest> from the local registry and check the digest the registry served."""
    assert session.local is not None
    tool = push_tool()
    ref = f"{session.local.registry}/{session.env.repository}@{digest}"
    _run([tool, "pull", *_insecure(session, tool), ref], f"{tool} pull {ref}")
    manifest, _ = _manifest(session, digest)
    served = "sha256:" + hashlib.sha256(manifest.encode()).hexdigest()
    if served != digest:
        raise DeployError(f"the registry served manifest {served} for {digest}; the registry is corrupt")
