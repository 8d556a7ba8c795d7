"""Content stage: which files of a site are sources, and how the site treats each.

A ``content/`` site: every Markdown file and Jupyter notebook under ``content/``. A Jekyll
site (``_config.yml`` or ``_posts/``, no ``content/``): ``_posts/``, ``_drafts/`` (notebooks
too) and top-level Markdown pages. Folders
that are never inputs are skipped (:mod:`generator.paths`); symlinks never lead outside.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import Diagnostics
from generator.paths import never_input

MARKDOWN_SUFFIXES = (".md", ".markdown")
NOTEBOOK_SUFFIX = ".ipynb"
SOURCE_SUFFIXES = (*MARKDOWN_SUFFIXES, NOTEBOOK_SUFFIX)


@dataclass(frozen=True)
class SourceFile:
    """A Markdown file to parse: where it is and how the site treats it."""

    path: Path
    rel: str
    kind: str  # "post" or "page"
    jekyll: bool  # Jekyll's rules apply (files in _posts/, _drafts/, or a _config.yml site)
    draft_dir: bool = False


@dataclass
class Discovery:
    files: list[SourceFile] = field(default_factory=list)
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def is_jekyll_site(root: Path) -> bool:
    return not (root / "content").is_dir() and (
        (root / "_config.yml").is_file() or (root / "_posts").is_dir()
    )


def discover(root: Path, *, drafts: bool) -> Discovery:
    """Find the Markdown sources, sorted by path. Symlinks never lead outside ``root``."""
    found = Discovery()
    root = root.resolve()
    jekyll_site = is_jekyll_site(root)
    base = root if jekyll_site else root / "content"
    if not base.is_dir():
        return found
    # Every path is under base, which is under root: strings, as a Path per step is slow.
    root_prefix, base_prefix = os.path.join(root, ""), os.path.join(base, "")
    for path in _walk(base, root, found.diagnostics):
        text = str(path)
        rel = text[len(root_prefix) :].replace(os.sep, "/")
        parts = tuple(text[len(base_prefix) :].split(os.sep))
        in_posts = "_posts" in parts[:-1]
        in_drafts = "_drafts" in parts[:-1]
        if in_drafts and not drafts:
            continue
        if jekyll_site:
            if not (in_posts or in_drafts or len(parts) == 1):
                continue
            if not (in_posts or in_drafts) and text.lower().endswith(NOTEBOOK_SUFFIX):
                continue  # a notebook beside the pages is a file Jekyll copies, not a page
            if len(parts) == 1 and path.name.lower() in {"readme.md", "license.md", "changelog.md"}:
                continue
            kind = "post" if (in_posts or in_drafts) else "page"
        else:
            kind = "post"
        jekyll = jekyll_site or in_posts or in_drafts
        found.files.append(SourceFile(path, rel, kind, jekyll, in_drafts))
    return found


def _walk(base: Path, root: Path, diags: Diagnostics) -> Iterator[Path]:
    """Markdown files under ``base``, sorted, folder by folder (os.scandir: no stat per file)."""
    with os.scandir(base) as listing:
        entries = sorted(listing, key=lambda e: e.name)
    top = base == root  # the skip list applies at the top of the site only
    folders = []
    for entry in entries:
        name = entry.name
        if name.startswith("."):
            continue
        if entry.is_dir(follow_symlinks=False):
            if not never_input(name, top=top):
                folders.append(entry)
            continue
        if entry.is_symlink() and _is_dir(entry):
            if not never_input(name, top=top):
                rel = Path(entry.path).relative_to(root).as_posix()
                diags.error(
                    rel,
                    0,
                    "symlinked folders are not followed; copy the files instead",
                    code="content",
                )
            continue
        if not name.lower().endswith(SOURCE_SUFFIXES):
            continue
        path = Path(entry.path)
        if entry.is_symlink() and not inside(path, root):
            rel = path.relative_to(root).as_posix()
            problem = "points outside the site" if path.exists() else "is broken or a loop"
            diags.error(rel, 0, f"symlink {problem}; refused", code="content")
            continue
        if entry.is_file():
            yield path
    for folder in folders:
        yield from _walk(Path(folder.path), root, diags)


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:  # a symlink loop: treated as a file, as os.walk does
        return False


def inside(path: Path, root: Path) -> bool:
    try:
        path.resolve(strict=True).relative_to(root)
    except (OSError, ValueError, RuntimeError):
        return False
    return True
