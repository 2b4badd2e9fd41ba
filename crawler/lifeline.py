"""Worker processes die with their parent, so a kill -9 of tradewatch leaves no orphans.

Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op. Called by each analysis worker as it
starts, and by the fork server as it imports ``crawler.forkserver_init``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent(expected_parent: int | None = None) -> None:
    """Ask the kernel to kill this process when its parent exits; exit now if it already has.

    The request covers only a parent alive when it is made: a parent killed between this
    process's start and the request leaves it reparented (to ``init``, or a process other than
    ``expected_parent``), so that is checked after.
    """
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    parent = os.getppid()
    if parent == 1 and expected_parent != 1 or expected_parent not in (None, parent):
        os._exit(0)
