"""Worker processes die with their parent, so a kill -9 of tradewatch leaves no orphans.

Linux only (prctl PR_SET_PDEATHSIG); elsewhere a no-op. Called by each analysis worker as it
starts, and by the fork server as it imports ``crawler.forkserver_init``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent exits."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
