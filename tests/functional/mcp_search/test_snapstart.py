"""SnapStart hooks: registered only while Lambda initializes for a snapshot; the before-snapshot hook
loads the search stack, the after-restore hook gives each restored copy its own randomness.

snapshot_restore_py comes with Lambda's python3.12+ runtimes; the dev lock has the same release (through
awslambdaric), so the children register with the real module and run its hooks as the runtime does.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from thoth.mcp_server import snapstart
from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search import cursor

CHILD = r"""
import json, sys
HEAVY = {"numpy", "onnxruntime", "tokenizers", "zstandard", "boto3", "botocore"}
loaded = lambda: sorted(HEAVY & {m.split(".")[0] for m in sys.modules})
from thoth.mcp_server.lambda_handler import handler
seen = {"import": loaded(), "hooks_module": "snapshot_restore_py" in sys.modules}
if seen["hooks_module"]:
    import snapshot_restore_py as hooks
    seen["registered"] = [len(hooks.get_before_snapshot()), len(hooks.get_after_restore())]
    for func, args, kwargs in hooks.get_before_snapshot():  # what the runtime does before the snapshot
        func(*args, **kwargs)
    from thoth.mcp_server.search import encoder
    seen["snapshot"] = loaded()
    seen["encoder_loaded"] = encoder._instance is not None
    for func, args, kwargs in hooks.get_after_restore():
        func(*args, **kwargs)
seen["health"] = handler(json.loads(sys.argv[1]), None)["statusCode"]
print(json.dumps(seen))
"""


def run_child(tmp_path: Path, encoder_dir: Path, init_type: str | None) -> dict[str, object]:
    repo = Path(__file__).resolve().parents[3]
    paths = [repo / "packages" / "shared" / "src", repo / "packages" / "mcp_server" / "src"]
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": os.pathsep.join(map(str, paths)),
        "THOTH_HOME": str(tmp_path / "home"),
        "THOTH_ENCODER_DIR": str(encoder_dir),
        "THOTH_SECRETS_BACKEND": "env",
        "LOG_LEVEL": "ERROR",
        "HF_HUB_OFFLINE": "1",
    }
    if init_type is not None:
        env["AWS_LAMBDA_INITIALIZATION_TYPE"] = init_type
    health = (repo / "packages" / "mcp_server" / "events" / "health.json").read_text()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, health], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize("init_type", [None, "on-demand", "provisioned-concurrency"])
def test_an_ordinary_cold_start_registers_nothing_and_loads_nothing(
    tmp_path: Path, built_encoder: Path, init_type: str | None
) -> None:
    seen = run_child(tmp_path, built_encoder, init_type)
    assert seen["import"] == [] and seen["hooks_module"] is False  # snapshot_restore_py not even imported
    assert seen["health"] in (200, 503)


def test_the_snapshot_holds_the_search_stack_and_a_loaded_encoder(
    tmp_path: Path, built_encoder: Path
) -> None:
    seen = run_child(tmp_path, built_encoder, "snap-start")
    assert seen["import"] == [] and seen["registered"] == [1, 1]  # registering loads nothing itself
    assert seen["snapshot"] == ["boto3", "botocore", "numpy", "onnxruntime", "tokenizers", "zstandard"]
    assert seen["encoder_loaded"] is True and seen["health"] in (200, 503)


def test_without_the_runtimes_hook_module_registration_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "snapshot_restore_py", None)  # import raises ImportError
    assert snapstart.register({"AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start"}) is False


def test_after_restore_each_copy_draws_its_own_cursor_key_and_random_state(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("THOTH_CURSOR_KEY", raising=False)
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "env")
    minted = cursor.encode("search_handbook", "b", "v1", 5)  # a key drawn before the snapshot
    assert cursor.decode("search_handbook", "b", minted) == ("v1", 5)
    random.seed(7)
    snapshot_draw = random.random()
    random.seed(7)
    snapstart.after_restore()
    assert random.random() != snapshot_draw
    with pytest.raises(ToolArgumentError, match="corrupt or was modified"):
        cursor.decode("search_handbook", "b", minted)  # the snapshot's key is gone with the restore


def test_a_configured_cursor_key_survives_the_restore(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THOTH_CURSOR_KEY", "k" * 64)
    monkeypatch.setenv("THOTH_SECRETS_BACKEND", "env")
    minted = cursor.encode("search_handbook", "b", "v1", 5)
    snapstart.after_restore()
    assert cursor.decode("search_handbook", "b", minted) == ("v1", 5)
