"""Whether a lock's holder still lives: a process gone, or killed and not yet reaped, is dead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from thoth.refresh_service.lock import Holder, host_id, process_alive


def test_a_killed_process_is_dead_even_before_its_parent_reaps_it() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert process_alive(child.pid)
        os.kill(child.pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while process_alive(child.pid):  # a zombie until wait(): must already count as dead
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        child.kill()
        child.wait()
    assert not process_alive(child.pid)
    assert process_alive(os.getpid())


def test_only_a_holder_on_this_machine_can_be_found_dead() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    here = Holder("r", host_id(), child.pid, None, None)
    assert here.dead_here()
    assert not here._replace(host="another-host/0badb007").dead_here()
    assert not here._replace(pid=os.getpid()).dead_here() and not here._replace(pid=None).dead_here()
