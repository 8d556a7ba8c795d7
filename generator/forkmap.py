"""Render-stage helper: call many small functions on every core.

The functions are not pickled: worker processes are forked after they are set
aside here, so each worker already holds them (and everything they close over,
such as a warm Jinja environment) and only their results travel back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar, cast

T = TypeVar("T")

# Below this many calls, starting worker processes costs more than it saves.
PARALLEL_MIN = 24

# The calls of the fork_map in progress; a forked worker inherits them.
_calls: Sequence[Callable[[], object]] = ()


def _call(index: int) -> object:
    return _calls[index]()


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
        with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("fork")) as pool:
            chunk = max(1, len(calls) // (jobs * 8))
            yield from cast(Iterator[T], pool.map(_call, range(len(calls)), chunksize=chunk))
    finally:
        _calls = ()
