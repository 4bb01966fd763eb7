"""The stdio transport: newline-delimited JSON-RPC on stdin/stdout, nothing else on stdout, ever.

The MCP stdio transport lets a server write only protocol messages to stdout; logs go to
stderr. `claim_stdout` therefore moves the real stdout aside for the protocol and points
file descriptor 1 (and `sys.stdout`) at stderr, so a stray print, or a native library
writing to fd 1, can never corrupt the stream. The loop knows nothing of MCP: the wiring
passes in the function that answers one line.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import BinaryIO, Final

Answer = Callable[[bytes], bytes | None]
_DISCARD_CHUNK: Final = 65_536


def claim_stdout() -> BinaryIO:
    """The process's original stdout, for protocol messages only; fd 1 and sys.stdout now reach stderr."""
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return os.fdopen(protocol_fd, "wb", buffering=0)


def _discard_rest_of_line(stdin: BinaryIO) -> None:
    while True:
        rest = stdin.readline(_DISCARD_CHUNK)
        if not rest or rest.endswith(b"\n"):
            return


def serve_lines(
    answer: Answer, stdin: BinaryIO, stdout: BinaryIO, max_line_bytes: int, oversized: bytes
) -> int:
    """Answer each line of `stdin` on `stdout` until EOF; returns the number of messages read.

    A line longer than `max_line_bytes` is skipped unread and answered with `oversized`. Blank
    lines are ignored. Each answer is written as one line and flushed at once.
    """
    count = 0
    while True:
        line = stdin.readline(max_line_bytes + 1)
        if not line:
            return count  # EOF: the client closed our stdin, which is how stdio sessions end
        if len(line) > max_line_bytes and not line.endswith(b"\n"):
            _discard_rest_of_line(stdin)
            reply: bytes | None = oversized
        else:
            line = line.strip()
            if not line:
                continue
            reply = answer(line)
        count += 1
        if reply is not None:
            stdout.write(reply + b"\n")
            stdout.flush()
