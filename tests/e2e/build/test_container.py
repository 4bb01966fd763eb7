"""The refresh image: built hermetically on the local stand-in base, its handler run on samples/handbook.

Marked `container`: runs in `nox -s test_container` (CI), not in the default `tests` session.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO
from tools.build.base_image import ensure_base
from tools.build.errors import PackagingError
from tools.build.invoke_image import invoke
from tools.build.refresh_image import DOCKERFILE, LOCK, build_image, content_tag, detect_tool

pytestmark = [pytest.mark.container, pytest.mark.e2e, pytest.mark.timeout(1500)]


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    if shutil.which("buildah") is None:
        pytest.fail("buildah is not installed; run .ci/install-system-packages (apt-get install -y buildah)")
    tool = detect_tool("buildah")
    base = ensure_base(tool)
    before = content_tag(DOCKERFILE, LOCK, tool.image_id(base))
    return {**build_image(base_image=base, tool=tool, record=None), "base": base, "tag_before": before}


def test_handler_indexes_the_sample_handbook_inside_the_image(built: dict[str, str], tmp_path: Path) -> None:
    tool = detect_tool("buildah")
    samples = REPO / "samples"
    report, log = invoke(
        tool,
        built["reference"],
        {"source": "sample-handbook", "mode": "full"},
        env={"THOTH_SOURCES_CONFIG": "/samples/sources.yaml", "THOTH_HOME": "/tmp/thoth"},
        mounts={samples: "/samples"},
    )
    assert report.get("status") == "ok", json.dumps(report)[:2000] + log[-2000:]
    pages = [p for p in (samples / "handbook").rglob("*") if p.suffix in (".md", ".txt")]
    assert report["source"] == "sample-handbook" and report["index_version"]
    assert report["files_added"] == len(pages)
    assert report["chunks_total"] >= len(pages) and report["chunks_embedded"] == report["chunks_total"]


def test_same_inputs_give_the_same_tag_and_no_rebuild(built: dict[str, str]) -> None:
    now = content_tag(DOCKERFILE, LOCK, detect_tool("buildah").image_id(built["base"]))
    if now != built["tag_before"]:
        pytest.skip("the Dockerfile, lock or code was edited while the image built; rerun")
    assert built["tag"] == now
    messages: list[str] = []
    again = build_image(
        base_image=built["base"], tool=detect_tool("buildah"), record=None, log=messages.append
    )
    assert again["reference"] == built["reference"]
    assert any("nothing rebuilt" in m for m in messages)


def test_a_moved_base_tag_gives_another_content_tag(built: dict[str, str]) -> None:
    """The base enters the tag by image ID: the same name pointing at another image is another input."""
    tool = detect_tool("buildah")
    moving = "localhost/thoth-moving-base:test"
    try:
        tool.run(["tag", built["base"], moving])
        first = content_tag(DOCKERFILE, LOCK, tool.image_id(moving))
        tool.run(["tag", built["reference"], moving])  # the "publisher" rebuilt the tag
        second = content_tag(DOCKERFILE, LOCK, tool.image_id(moving))
    finally:
        tool.run(["rmi", moving], check=False)
    assert first == built["tag"] and second != first
    assert built["base_image_id"] == tool.image_id(built["base"])
    with pytest.raises(PackagingError, match="is not an image ID"):
        content_tag(DOCKERFILE, LOCK, built["base"])


def test_a_failing_dockerfile_step_names_the_cause(built: dict[str, str], tmp_path: Path) -> None:
    broken = tmp_path / "Dockerfile"
    # Fail in the first step, so the test does not pay for copying the wheelhouse.
    text = DOCKERFILE.read_text().replace(
        "FROM ${BASE_IMAGE}\n", "FROM ${BASE_IMAGE}\nRUN echo broken-step >&2; exit 3\n"
    )
    broken.write_text(text)
    record = tmp_path / "container.json"
    with pytest.raises(PackagingError, match="image build failed") as info:
        build_image(base_image=built["base"], tool=detect_tool("buildah"), dockerfile=broken, record=record)
    assert "broken-step" in str(info.value) or "exit status 3" in str(info.value)
    assert not record.exists()  # deploy never sees a reference to an image that was not built


def test_no_container_tool_is_one_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PackagingError, match="apt-get install -y buildah"):
        detect_tool()
    assert os.environ["PATH"] == str(tmp_path)


def test_a_missing_base_image_is_one_clear_error(tmp_path: Path) -> None:
    record = tmp_path / "container.json"
    with pytest.raises(PackagingError, match="cannot be pulled") as info:
        build_image(base_image="localhost/thoth-no-such-base:0", tool=detect_tool("buildah"), record=record)
    assert "--standin" in str(info.value) and not record.exists()
