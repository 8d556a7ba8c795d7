"""Compute stage, worker side: many frames of an interact, in parallel and cached.

:func:`in_children` forks up to ``jobs`` processes from the worker: each starts from
the worker's state as the cell left it, computes its share of the points and sends
the frames back over a pipe, in :mod:`generator.compute.wire`'s frames. The children
are in the worker's process group, so a timeout that ends the worker ends them too.
:func:`cached` and :func:`store` keep each frame under its own key.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from generator.compute import reaper
from generator.compute.wire import decode_frames, encode_frame

Point = TypeVar("Point", bound=Hashable)
Frame = dict[str, Any]


def in_children(
    points: list[Point],
    compute: Callable[[Point], Frame],
    *,
    jobs: int,
    beat: Callable[[], None],
    lost: Callable[[Point], Frame],
) -> dict[Point, Frame]:
    """``compute(point)`` for every point, in up to ``jobs`` forked processes: every one
    starts from this state, whatever the others' frames did. A point whose process died
    before sending it gets ``lost(point)``; ``beat()`` is called as each frame arrives."""
    count = max(1, min(jobs, len(points)))
    selector = selectors.DefaultSelector()
    children: list[int] = []
    for share in range(count):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # a child: compute this share of the points, send them, leave
            os.close(read_end)
            reaper.die_with_parent()
            status = 0
            try:
                for i in range(share, len(points), count):
                    _write_all(write_end, encode_frame({"i": i, "frame": compute(points[i])}))
            except BaseException:
                status = 70
            finally:
                os._exit(status)
        os.close(write_end)
        children.append(pid)
        selector.register(read_end, selectors.EVENT_READ, bytearray())
    frames: dict[Point, Frame] = {}
    open_ends = count
    while open_ends:
        for key, _ in selector.select():
            chunk = os.read(key.fd, 1 << 16)
            if not chunk:
                selector.unregister(key.fd)
                os.close(key.fd)
                open_ends -= 1
                continue
            key.data.extend(chunk)
            for message in decode_frames(key.data):
                frames[points[int(message["i"])]] = message["frame"]
                beat()
    selector.close()
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
    return {p: frames[p] if p in frames else lost(p) for p in points}


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def cached(cache_dir: Path | None, key: str) -> Frame | None:
    if cache_dir is None:
        return None
    try:
        found = json.loads((cache_dir / f"{key}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and "displays" in found else None


def store(cache_dir: Path | None, key: str, found: Frame) -> None:
    if cache_dir is None:
        return
    with contextlib.suppress(OSError):
        cache_dir.mkdir(parents=True, exist_ok=True)
        temp = cache_dir / f".{key}.{os.getpid()}.tmp"
        temp.write_text(json.dumps(found, sort_keys=True, ensure_ascii=False), encoding="utf-8")
        os.replace(temp, cache_dir / f"{key}.json")
