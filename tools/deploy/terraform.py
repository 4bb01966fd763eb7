"""`nox -s infra -- <env> plan|apply|destroy [--yes]`: Terraform with the env's tfvars, backend, workspace."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tools import runtimes
from tools.aws.envs import CONFIRM, INFRA, Env, thoth_home
from tools.aws.errors import DeployError
from tools.aws.session import Session
from tools.deploy.bootstrap import bootstrap_zip

ACTIONS = ("plan", "apply", "destroy")
LOCAL_STATE_BUCKET = "thoth-terraform-state"
CLI_CONFIG = INFRA / "terraform.rc"


def confirm(env: Env, action: str, yes: bool) -> None:
    """Ask a human before changing a protected environment (prod) unless --yes was given."""
    if env.name not in CONFIRM or yes:
        return
    if not sys.stdin.isatty():
        raise DeployError(
            f"{action} on {env.name} needs confirmation and stdin is not a terminal; rerun with --yes"
        )
    answer = input(f"{action} will change {env.name}. Type the environment name to continue: ").strip()
    if answer != env.name:
        raise DeployError(f"{action} on {env.name} cancelled (confirmation did not match)")


def check_workspace(env: Env, selected: str | None = None) -> None:
    """Refuse a Terraform workspace that does not match the environment (one env's state on another)."""
    forced = os.environ.get("TF_WORKSPACE", "").strip()
    if forced and forced != env.name:
        raise DeployError(
            f"TF_WORKSPACE={forced!r} does not match environment {env.name!r}; unset TF_WORKSPACE "
            f"(nox -s infra selects workspace {env.name!r} itself) or pass the environment you meant"
        )
    if selected is not None and selected != env.name:
        raise DeployError(
            f"Terraform workspace {selected!r} is selected but the environment is {env.name!r}; "
            f"run `terraform workspace select {env.name}` in {INFRA} or remove {data_dir(env)}"
        )


def data_dir(env: Env) -> Path:
    return thoth_home() / "terraform" / env.name


def _local_backend(session: Session) -> Path:
    assert session.local is not None
    cli = session.cli
    if (
        cli.try_run("s3api", "head-bucket", "--bucket", LOCAL_STATE_BUCKET, missing=("404", "NoSuchBucket"))
        is None
    ):
        cli.run("s3api", "create-bucket", "--bucket", LOCAL_STATE_BUCKET)
    path = data_dir(session.env) / "backend.hcl"
    path.write_text(
        f'bucket = "{LOCAL_STATE_BUCKET}"\nkey = "thoth/local/terraform.tfstate"\n'
        f'region = "{session.env.region}"\n'
        f'endpoints = {{ s3 = "{session.local.aws_endpoint}" }}\nuse_path_style = true\n'
        "skip_credentials_validation = true\nskip_requesting_account_id = true\n"
        "skip_metadata_api_check = true\nskip_region_validation = true\n"
    )
    return path


def refresh_image(session: Session) -> str:
    """The image the refresh function is created from: the deployed one, else the newest pushed, else none."""
    env, cli = session.env, session.cli
    config = cli.try_run(
        "lambda",
        "get-function",
        "--function-name",
        env.refresh_function,
        missing=("ResourceNotFoundException",),
    )
    if config and config.get("Code", {}).get("ImageUri"):
        return str(config["Code"]["ImageUri"])
    images = cli.try_run(
        "ecr",
        "describe-images",
        "--repository-name",
        env.repository,
        missing=("RepositoryNotFoundException",),
    )
    details = (images or {}).get("imageDetails", [])
    if details:
        newest = max(details, key=lambda d: str(d.get("imagePushedAt", "")))
        repo = cli.run("ecr", "describe-repositories", "--repository-names", env.repository)
        return f"{repo['repositories'][0]['repositoryUri']}@{newest['imageDigest']}"
    if env.embedded:
        # moto does not resolve image URIs (MOTO_LAMBDA_STUB_ECR), so the function can exist before the
        # first push; the first `deploy local` pins it to a pushed digest.
        return f"{session.account_id()}.dkr.ecr.{env.region}.amazonaws.com/{env.repository}:not-yet-pushed"
    return ""


def terraform_env(session: Session) -> dict[str, str]:
    env = dict(os.environ)
    env.update(session.cli.env)
    # Always our mirror-only config: the public registry is never reached.
    env["TF_CLI_CONFIG_FILE"] = str(CLI_CONFIG)
    env["TF_DATA_DIR"] = str(data_dir(session.env))
    env["TF_IN_AUTOMATION"] = "1"
    env.pop("TF_WORKSPACE", None)
    # The runtime table (tools/runtimes.py) and its defaults: environment variables are Terraform's
    # weakest source, so an environment's tfvars (mcp_runtime, mcp_architecture) still decide.
    env["TF_VAR_mcp_runtimes"] = runtimes.terraform_table()
    env.setdefault("TF_VAR_mcp_runtime", runtimes.DEFAULT)
    env.setdefault("TF_VAR_mcp_architecture", runtimes.DEFAULT_ARCH)
    return env


def _terraform(args: list[str], env: dict[str, str], capture: bool = False) -> str:
    exe = shutil.which("terraform")
    if not exe:
        raise DeployError("terraform is not installed; install Terraform >= 1.5 and rerun")
    proc = subprocess.run(
        [exe, f"-chdir={INFRA}", *args], env=env, check=False, text=True, capture_output=capture
    )
    if proc.returncode != 0:
        detail = (proc.stderr or "").strip()[-2000:] if capture else "see the output above"
        raise DeployError(f"terraform {args[0]} failed ({detail})")
    return proc.stdout or ""


def run(session: Session, action: str, yes: bool = False) -> int:
    """Init (backend + workspace), then plan/apply/destroy one environment."""
    env = session.env
    if action not in ACTIONS:
        raise DeployError(f"unknown infra action {action!r}; use one of {', '.join(ACTIONS)}")
    check_workspace(env)
    session.check_credentials()
    data_dir(env).mkdir(parents=True, exist_ok=True)
    backend = _local_backend(session) if env.embedded else env.backend_file
    if not backend.is_file():
        raise DeployError(f"{backend} is missing; create it with the state bucket of {env.name}")
    tf_env = terraform_env(session)
    _terraform(["init", "-input=false", "-reconfigure", f"-backend-config={backend}"], tf_env)
    _terraform(["workspace", "select", "-or-create", env.name], tf_env)
    check_workspace(env, _terraform(["workspace", "show"], tf_env, capture=True).strip())
    args = [
        f"-var-file={env.tfvars}",
        f"-var=bootstrap_zip={bootstrap_zip()}",
        f"-var=refresh_image_uri={refresh_image(session)}",
        "-input=false",
    ]
    if env.embedded:
        assert session.local is not None
        args.append(f"-var=aws_endpoint={session.local.aws_endpoint}")
    if action == "plan":
        _terraform(["plan", *args], tf_env)
        return 0
    confirm(env, action, yes)
    _terraform([action, "-auto-approve", *args], tf_env)
    print(f"infra: {action} of {env.name} complete")
    return 0
