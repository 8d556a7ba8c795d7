"""Compute stage, worker side: the process tree below the zygote, and how it is ended.

The zygote and each worker are *child subreapers*: a process a cell detaches (a new
session, a double fork) is re-parented to the nearest of them when its parent dies,
never to init. So every process a build's cells start stays below the zygote, and
"no child left" means "no descendant left". Reads /proc; Linux only, stdlib only.
This module runs in the zygote and workers, never in the build process.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
END_WAIT = 5.0  # seconds to keep killing and reaping: only an unkillable process lasts that long


def become_subreaper() -> None:
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)


def die_with_parent() -> None:
    """SIGKILL when the parent dies: a worker never outlives its zygote."""
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _prctl(option: int, value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)


def _parents() -> dict[int, int]:
    """pid -> parent pid of every process we can see, from /proc."""
    parents = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: fields follow the last ")".
        fields = stat[stat.rfind(b")") + 2 :].split()
        parents[int(entry.name)] = int(fields[1])
    return parents


def children(pid: int) -> set[int]:
    return {child for child, parent in _parents().items() if parent == pid}


def kill_descendants() -> None:
    """SIGKILL every process below this one, whatever session or group it moved to."""
    parents = _parents()
    below: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier} - below
        below |= frontier
    for pid in below:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def end_descendants(seconds: float = END_WAIT) -> None:
    """Kill and reap every process below this one (a subreaper) until none is left.

    One pass is not enough: a process caught between the /proc scan and the kill can
    fork (a daemon's double fork), and its child only comes back to us once it dies.
    """
    deadline = time.monotonic() + seconds
    while True:
        kill_descendants()
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            return  # no child, so no descendant: each would have come back to us
        if time.monotonic() >= deadline:
            return
        time.sleep(0.01)


def running_children() -> list[int]:
    """This process's children that have not exited (zombies left out)."""
    pids: list[int] = []
    with contextlib.suppress(OSError):
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                pids.extend(int(p) for p in f.read().split())
    running = []
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
            if f.read().rpartition(")")[2].split()[0] != "Z":
                running.append(pid)
    return running
