"""Where things live in a site: the state folder, dataset files, folders that are never inputs.

Base module: every stage that names one of these asks here, so the rules agree.
"""

from __future__ import annotations

from pathlib import Path

# The build's own folder in a site: caches, the saved memo, the lock, the manifest.
STATE_DIR = ".lessonpress"

# Top-level folders of a site that are never inputs: build outputs, tool caches,
# dependencies. Only at the top: ``content/posts/site/x.md`` is a post like any other.
# (Hidden folders, ``.git`` and the state folder among them, are never inputs anywhere.)
NEVER_INPUTS = frozenset(
    {"node_modules", "__pycache__", "_site", "site", "vendor", "venv", "env", "dist", "build"}
)


def state_dir(root: Path) -> Path:
    """The state folder of the site at ``root``."""
    return root / STATE_DIR


def never_input(name: str, *, top: bool) -> bool:
    """Whether a folder called ``name`` (at the top of the site if ``top``) is skipped."""
    return name.startswith(".") or name == "__pycache__" or (top and name in NEVER_INPUTS)


def data_folder(slug: str) -> str:
    """The site-relative folder a post's dataset files are written to."""
    return f"data/{slug}"


def data_path(slug: str, name: str, ext: str) -> str:
    """The site-relative path of dataset ``name`` of a post, as ``ext`` (json, csv, png)."""
    return f"{data_folder(slug)}/{name}.{ext}"
