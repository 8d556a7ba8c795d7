"""Render-stage helper: call many small functions on every core.

The functions are not pickled: worker processes are forked after they are set
aside here, so each worker already holds them (and everything they close over,
such as a warm Jinja environment) and only their results travel back.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar, cast

T = TypeVar("T")

# Below this many calls, starting worker processes costs more than it saves.
PARALLEL_MIN = 24

# The calls of the fork_map in progress; a forked worker inherits them.
_calls: Sequence[Callable[[], object]] = ()


def _call(index: int) -> object:
    return _calls[index]()


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP wait (pending) while the pool starts: a stop between its
    forks and its manager thread's start breaks it ("cannot join thread before it is started")."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _worker_start(parent: int) -> None:
    """Stopping is the parent's to handle (Ctrl-C reaches the whole group: a worker would
    print a traceback), and a worker ends when its parent does, even one killed with -9:
    otherwise it would wait for more work for ever (it holds its queue's other end)."""
    for signum in _STOPS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)  # held since the fork: see _stops_held
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


_PR_SET_PDEATHSIG = 1
_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def fork_map(calls: Sequence[Callable[[], T]], jobs: int) -> Iterator[T]:
    """``call()`` for each call, in order and as each is done: in ``jobs`` forked processes
    when there are many, else here.

    An exception a call raises is raised here, as the serial loop would: the first in
    order. It must pickle (it crosses back from the worker).
    """
    global _calls
    if jobs <= 1 or len(calls) < PARALLEL_MIN:
        yield from (call() for call in calls)
        return
    from concurrent.futures import ProcessPoolExecutor  # only when there are workers
    from multiprocessing import get_context

    _calls = calls
    try:
        with ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=get_context("fork"),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        ) as pool:
            chunk = max(1, len(calls) // (jobs * 8))
            with _stops_held():  # map submits every call: the workers start now
                results = pool.map(_call, range(len(calls)), chunksize=chunk)
            try:
                yield from cast(Iterator[T], results)
            except BaseException:  # stopped, or a call failed: what has not started never will
                pool.shutdown(cancel_futures=True)
                raise
    finally:
        _calls = ()
