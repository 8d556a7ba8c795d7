"""Build stage: the memo one build leaves the next -- each stage's own part, and on disk.

A long-running caller (``lessonpress serve``) passes one :class:`Memo` to every
``build()``; ``lessonpress build`` saves it in ``.lessonpress/`` for the next run.
Each stage gets only its part: content its parsed files, render its bodies and
pages, the writer its record of what each output folder holds. Nothing here
changes what a build writes: a memo only skips work whose result is already known.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.memo import ContentMemo
from generator.memo import WrittenFiles, stat_sig
from generator.render.memo import RenderMemo


@dataclass
class Memo:
    """Memos of one site's builds in one process. Not thread-safe: one build at a time."""

    content: ContentMemo = field(default_factory=ContentMemo)
    render: RenderMemo = field(default_factory=RenderMemo)
    written: WrittenFiles = field(default_factory=WrittenFiles)


FILE = "memo.pickle"


def _fingerprint() -> bytes:
    """The code that made a saved memo: another lessonpress or Python never reads it."""
    from generator import __version__
    from generator.theme import PACKAGE

    parts = [__version__, sys.version]
    for path in sorted(PACKAGE.rglob("*.py")):
        parts.append(f"{path.relative_to(PACKAGE)}:{stat_sig(path)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest().encode() + b"\n"


def load_memo(state: Path) -> Memo:
    """The memo the last ``lessonpress build`` of this site saved, or a new one.

    A missing, damaged or foreign file only means starting afresh. (The file is the
    build's own, in ``.lessonpress/``; a site's cells run code at build time anyway.)
    """
    try:
        with open(state / FILE, "rb") as handle, _no_gc():
            if handle.readline() != _fingerprint():
                return Memo()
            found = pickle.load(handle)
    except Exception:  # any unreadable memo is just a cold start
        return Memo()
    # Its objects live as long as the build: the collector need not keep scanning them.
    gc.freeze()
    return found if isinstance(found, Memo) else Memo()


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Unpickling makes millions of objects and no garbage: collecting meanwhile is waste."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def save_memo(state: Path, memo: Memo) -> None:
    """Keep ``memo`` for the next build (atomically; the warm Markdown is not kept)."""
    warm, memo.render.engines = memo.render.engines, None
    tmp = state / f".{FILE}.{os.getpid()}"
    # Not a rename over the old file: ext4 would first flush the new one to disk
    # (auto_da_alloc), which costs more than the rest of an edit's rebuild. The old one is
    # removed while the new one is pickled (freeing a large file takes a while); a build
    # killed in between only leaves no memo, and the next build starts cold.
    old = threading.Thread(target=_remove, args=(state / FILE,))
    old.start()
    try:
        state.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle, _no_gc():
            handle.write(_fingerprint())
            pickle.dump(memo, handle, protocol=pickle.HIGHEST_PROTOCOL)
        old.join()
        os.rename(tmp, state / FILE)
    except OSError:
        tmp.unlink(missing_ok=True)  # a memo that cannot be saved only costs time
    finally:
        old.join()
        memo.render.engines = warm


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
