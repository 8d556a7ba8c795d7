"""Write-stage helper: skip a build when its inputs and output are as the last good build left them.

Like make, ninja and git's index, a file counts as unchanged when its size,
mtime, ctime and inode (``memo.stat_sig``) are: any edit, copy or ``touch`` changes at least one.
After every successful build the manifest records a digest of those stats for
everything the build read (the site folder, the theme, lessonpress itself and
the libraries that shape the output) and for every file it wrote. The next
``lessonpress build`` recomputes both digests with ``os.stat`` alone and, when
they match, has nothing to do: the output is already byte-identical to what a
build would write. Files changed less than ``RACY_NS`` before a build started
are not trusted (their mtime may not have ticked), so such a build records no
manifest.

Stdlib only: the check runs before the build's heavy modules are imported.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

from generator import __version__
from generator.errors import Diagnostic, Severity
from generator.memo import stat_sig
from generator.paths import never_input, state_dir
from generator.theme import PACKAGE, default_theme_dirs

NAME = "manifest.json"
FORMAT = 2
RACY_NS = 2_000_000_000
# Libraries whose version changes what a build writes.
LIBRARIES = (
    "markdown", "pymdownx", "pygments", "jinja2", "yaml", "latex2mathml", "numpy", "torch", "PIL",
)  # fmt: skip


@dataclass(frozen=True)
class Recorded:
    """What the last good build left: enough to say so again without building."""

    posts: int
    files: int
    diagnostics: tuple[Diagnostic, ...]


def _stats(paths: Iterator[Path]) -> tuple[str, int]:
    """Digest of each file's path and stat signature, and the newest mtime or ctime."""
    digest = hashlib.sha256()
    newest = 0
    for path in paths:
        sig = stat_sig(path)
        if sig is not None:
            newest = max(newest, sig[1], sig[2])
        digest.update(f"{path}\0{sig}\n".encode("utf-8", "surrogateescape"))
    return digest.hexdigest(), newest


def _walk(folder: Path, skip: Sequence[Path] = ()) -> Iterator[Path]:
    """Every file under ``folder`` in a fixed order, folders in ``skip`` left out."""
    skipped = {str(p) for p in skip}
    for dirpath, dirnames, filenames in os.walk(folder):
        top = dirpath == str(folder)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if os.path.join(dirpath, d) not in skipped and not never_input(d, top=top)
        )
        for name in sorted(filenames):
            yield Path(dirpath, name)


def _inputs(root: Path, out: Path) -> Iterator[Path]:
    yield from _walk(root, skip=[out])
    templates, static, chartjs, license_file = default_theme_dirs()
    for folder in (PACKAGE, templates, static):
        if folder.resolve() != root and root not in folder.resolve().parents:
            yield from _walk(folder.resolve(), skip=[out])
    yield chartjs
    yield license_file
    for name in LIBRARIES:
        spec = find_spec(name)
        yield Path(spec.origin if spec is not None and spec.origin else f"<no {name}>")


def _key(root: Path, out: Path, options: Sequence[object]) -> str:
    material = [FORMAT, __version__, sys.version, str(root), str(out), list(map(str, options))]
    material.append(os.environ.get("SOURCE_DATE_EPOCH", ""))
    return json.dumps(material)


def _output(out: Path) -> str:
    return _stats(_walk(out))[0] if out.is_dir() else "no output"


class Manifest:
    """The up-to-date check for one site, output folder and set of build options."""

    def __init__(self, root: Path, out: Path, options: Sequence[object]) -> None:
        self.root = root.resolve()
        self.out = out.resolve()
        self.file = state_dir(self.root) / NAME
        self.key = _key(self.root, self.out, options)
        self.started = 0
        self.inputs = ""
        self._seen: tuple[int, str, int] | None = None  # (when, digest, newest) of the inputs

    def _snapshot(self) -> tuple[int, str, int]:
        if self._seen is None:
            started = time.time_ns()
            self._seen = (started, *_stats(_inputs(self.root, self.out)))
        return self._seen

    def up_to_date(self) -> Recorded | None:
        """The last build's summary when nothing it read or wrote has changed since."""
        try:
            saved = json.loads(self.file.read_text(encoding="utf-8"))
            if saved["key"] != self.key:
                return None
            if saved["inputs"] != self._snapshot()[1]:
                return None
            if saved["output"] != _output(self.out):
                return None
            diagnostics = tuple(
                Diagnostic(str(p), int(n), str(m), _severity(s), code=str(c))
                for p, n, m, s, c in saved["diagnostics"]
            )
            return Recorded(int(saved["posts"]), int(saved["files"]), diagnostics)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def start(self) -> None:
        """Before a real build reads anything: forget the last record, note the inputs."""
        self.file.unlink(missing_ok=True)
        # The snapshot the check just took, if it took one: nothing was read since.
        self.started, self.inputs, newest = self._snapshot()
        if newest >= self.started - RACY_NS:
            self.inputs = ""  # too fresh to trust: the next build checks again

    def finish(self, recorded: Recorded) -> None:
        """After a successful write: remember it, unless an input was too fresh to trust."""
        if not self.inputs:
            return
        entry = {
            "key": self.key,
            "inputs": self.inputs,
            "output": _output(self.out),
            "posts": recorded.posts,
            "files": recorded.files,
            "diagnostics": [
                [d.path, d.line, d.message, d.severity, d.code] for d in recorded.diagnostics
            ],
        }
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_name(f".{NAME}.{os.getpid()}")
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.file)


def _severity(value: object) -> Severity:
    return "warning" if value == "warning" else "error"
