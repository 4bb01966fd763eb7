"""Lambda SnapStart hooks: warm the search stack before the snapshot, make each restored copy unique.

Registered only while Lambda initializes a version for its snapshot (settings.snap_start_init): an
ordinary cold start checks one environment variable and imports nothing more, so /health stays lean.
`snapshot_restore_py` comes with Lambda's python3.12+ runtimes; it is never shipped in the layer.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Mapping

from thoth.mcp_server.settings import snap_start_init

log = logging.getLogger(__name__)
WARM_QUERY = "how do I request time off"


def register(env: Mapping[str, str] | None = None) -> bool:
    """Register the hooks when initializing for a snapshot; True when they were registered."""
    if not snap_start_init(env):
        return False
    try:
        import snapshot_restore_py  # type: ignore[import-untyped]  # no py.typed
    except ImportError:  # a runtime without SnapStart hooks: the snapshot still works, only colder
        log.warning(
            "SnapStart initialization but no snapshot_restore_py: the search stack loads on first use"
        )
        return False
    snapshot_restore_py.register_before_snapshot(before_snapshot)
    snapshot_restore_py.register_after_restore(after_restore)
    return True


def before_snapshot() -> None:
    """Import the search stack and load the query encoder, so a restored copy's first search pays neither.

    boto3 and botocore are imported too (the state and object stores need them on the first request),
    but no client is created and no index, secret or credential is read: those belong to each restored
    copy, and clients hold connections that must not be shared between copies.
    """
    import boto3
    import botocore.config

    from thoth.mcp_server.search import encoder, tools

    del boto3, botocore, tools  # imported for their modules, not called here
    encoder.get_encoder().encode(WARM_QUERY)  # the first run sizes ONNX Runtime's buffers


def after_restore() -> None:
    """Give this copy its own randomness: every restored copy starts from the same memory."""
    import random

    from thoth.mcp_server.search import cursor

    cursor.forget_process_key()  # without a configured cursor-key, each copy draws its own
    random.seed()  # from os.urandom
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed()
