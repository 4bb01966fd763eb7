"""Which base the refresh image builds on: the real one, else the stand-in for the `local` rehearsal only."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

import pytest

from tools.aws.envs import Env
from tools.aws.errors import DeployError
from tools.build.base_image import IMAGE_NAME, choose_base, is_standin
from tools.build.errors import PackagingError
from tools.build.refresh_image import DEFAULT_BASE, Tool
from tools.deploy import build_outputs, deploy, lambda_ops

STANDIN = f"{IMAGE_NAME}:bookworm-py3.11-0123456789ab"
# What buildah says offline (one long line; its end names the cause).
OFFLINE = (
    "Error: initializing source docker://public.ecr.aws/docker/library/python:3.11-slim-bookworm: pinging "
    'container registry public.ecr.aws: Get "https://public.ecr.aws/v2/": dial tcp: lookup public.ecr.aws '
    "on 10.255.255.53:53: no such host"
)


class FakeTool(Tool):
    """A container tool whose storage holds `local` and whose pulls answer `pull_error` (None: success)."""

    local: set[str]
    pull_error: str | None
    pulled: list[str]

    def __init__(self, local: set[str], pull_error: str | None) -> None:
        super().__init__("buildah")  # Tool is frozen: the fake's own fields are set around that
        object.__setattr__(self, "local", local)
        object.__setattr__(self, "pull_error", pull_error)
        object.__setattr__(self, "pulled", [])

    def image_exists(self, reference: str) -> bool:
        return reference in self.local

    def pull(self, reference: str) -> str | None:
        self.pulled.append(reference)
        return self.pull_error


def standin_builder(built: list[str]) -> Callable[[Tool, Callable[[str], None]], str]:
    def build(tool: Tool, log: Callable[[str], None]) -> str:
        built.append(STANDIN)
        return STANDIN

    return build


def test_a_local_or_pullable_base_is_used_as_is() -> None:
    lines: list[str] = []
    built: list[str] = []
    present = FakeTool({DEFAULT_BASE}, pull_error=OFFLINE)
    assert choose_base(present, DEFAULT_BASE, True, lines.append, standin_builder(built)) == DEFAULT_BASE
    assert present.pulled == [] and built == [] and lines == []
    online = FakeTool(set(), pull_error=None)
    assert choose_base(online, DEFAULT_BASE, True, lines.append, standin_builder(built)) == DEFAULT_BASE
    assert online.pulled == [DEFAULT_BASE] and built == []
    assert not any("stand-in" in line for line in lines)


def test_offline_with_the_fallback_builds_on_the_standin_and_says_so_in_one_line() -> None:
    lines: list[str] = []
    built: list[str] = []
    offline = FakeTool(set(), pull_error=OFFLINE)
    assert choose_base(offline, DEFAULT_BASE, True, lines.append, standin_builder(built)) == STANDIN
    assert built == [STANDIN]
    said = [line for line in lines if "stand-in" in line]
    assert len(said) == 1
    assert DEFAULT_BASE in said[0] and "`local` rehearsal" in said[0]
    assert '(…public.ecr.aws: Get "https://public.ecr.aws/v2/": dial tcp:' in said[0]  # cut at a word
    assert "no such host)" in said[0]


def test_offline_without_the_fallback_refuses_with_the_fix() -> None:
    built: list[str] = []
    offline = FakeTool(set(), pull_error=OFFLINE)
    with pytest.raises(PackagingError, match="cannot be pulled") as info:
        choose_base(offline, DEFAULT_BASE, False, lambda _: None, standin_builder(built))
    assert built == []
    assert "pass --base-image" in info.value.fix and "--standin" in info.value.fix


def test_only_the_local_environment_passes_the_fallback() -> None:
    layer = ["nox", "-s", "build_layer", "--", "--runtime", "python3.13", "--arch", "x86_64"]
    assert build_outputs.build_commands("nox", True, "python3.13", "x86_64", standin_fallback=True) == [
        layer,
        ["nox", "-s", "build_container", "--", "--standin-fallback"],
    ]
    assert build_outputs.build_commands("nox", True, "python3.13", "x86_64", standin_fallback=False) == [
        layer,
        ["nox", "-s", "build_container"],
    ]
    assert build_outputs.build_commands("nox", False, "python3.13", "x86_64", standin_fallback=True) == [
        layer
    ]


def test_deploy_asks_for_the_fallback_in_local_only(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []

    def build(image: bool, runtime: str, arch: str, standin_fallback: bool = False) -> None:
        asked.append(standin_fallback)
        raise DeployError("stop after the build step")

    monkeypatch.setattr(build_outputs, "build", build)
    config = {"Runtime": "python3.13", "Architectures": ["x86_64"]}
    monkeypatch.setattr(lambda_ops, "function_config", lambda session, name: config)
    for name in ("local", "dev", "prod"):
        session = argparse.Namespace(env=Env(name, "us-east-1"), check_credentials=lambda: None)
        args = argparse.Namespace(no_build=False, skip_image=False, container=None)
        with pytest.raises(DeployError, match="stop after the build step"):
            deploy.run(session, args)  # type: ignore[arg-type]
    assert asked == [True, False, False]


def test_a_standin_image_never_ships_to_a_real_environment(tmp_path: Path) -> None:
    record = tmp_path / "container.json"
    record.write_text(
        f'{{"reference": "localhost/thoth-refresh:abc", "tag": "abc", "base_image": "{STANDIN}"}}'
    )
    container = build_outputs.load_container(record)
    assert is_standin(container.base_image) and not is_standin(DEFAULT_BASE)
    deploy.check_base(Env("local", "us-east-1"), container)
    with pytest.raises(DeployError, match=r"stand-in base .* rebuild it on the real base"):
        deploy.check_base(Env("dev", "us-east-1"), container)
