"""Command ``lessonpress init DIR [--title T]``: start a new site, as ``hugo new site`` does.

Writes ``site.yml``, a first lesson (the one ``lessonpress new`` writes), a
``.gitignore`` for the build's output and state, a ``requirements.txt`` naming what
the build needs, and a GitHub Pages workflow (``.github/workflows/pages.yml``) that
builds and deploys the site on every push, keeping ``.lessonpress/`` between runs so
that only changed cells run again. Refuses a folder that already holds files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from generator import __version__
from generator.commands.new import post_text, today

SITE_YML = """\
# lessonpress site settings. Every key: README.md, "A site".
title: {title}
description: ""
author: ""
# The address the site is published at (feeds and the sitemap need it). On GitHub Pages:
# https://<user>.github.io/<repository>/
base_url: https://example.org/
"""

GITIGNORE = """\
# lessonpress: the built site and the build's caches (kept by CI, not in git)
/site/
.lessonpress/
__pycache__/
.venv/
"""

REQUIREMENTS = """\
# What building this site needs. Add the libraries your lessons' cells import.
lessonpress[notebooks]=={version}
numpy
# torch: only if lessons import it. On CI, take the CPU build:
#   pip install torch --index-url https://download.pytorch.org/whl/cpu
"""

WORKFLOW = """\
# Build the lessons and publish them on GitHub Pages on every push to main.
# In the repository's settings, Pages > Source: GitHub Actions.
# The cells run on GitHub's machine: .lessonpress/ (their results) is kept between runs,
# so a push that changes one lesson runs only that lesson's cells.
name: Publish lessons

on:
  push:
    branches: [main]
  workflow_dispatch:

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: true

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
          cache: pip
      - name: Install
        run: pip install -r requirements.txt
      - name: Keep computed results between runs
        uses: actions/cache@v4
        with:
          path: .lessonpress
          key: lessonpress-${{ hashFiles('requirements.txt') }}-${{ github.sha }}
          restore-keys: lessonpress-${{ hashFiles('requirements.txt') }}-
      - name: Build
        run: lessonpress build --out site
      - uses: actions/upload-pages-artifact@v3
        with:
          path: site
  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""


def site_files(title: str) -> dict[str, str]:
    """The new site's files, by path relative to its folder."""
    quoted = json.dumps(title, ensure_ascii=False)
    return {
        "site.yml": SITE_YML.format(title=quoted),
        "content/posts/first-lesson.md": post_text("A first lesson", ["start"], today()),
        ".gitignore": GITIGNORE,
        "requirements.txt": REQUIREMENTS.format(version=__version__),
        ".github/workflows/pages.yml": WORKFLOW,
    }


def run(args: argparse.Namespace) -> int:
    folder: Path = args.folder
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        print(
            f"lessonpress: error: {folder} already exists and is not an empty folder; "
            "init starts a new site (add lessons to an existing one with lessonpress new)",
            file=sys.stderr,
        )
        return 1
    title = str(args.title or folder.resolve().name).strip() or "Lessons"
    for rel, text in site_files(title).items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")
        print(f"created {(folder / rel).as_posix()}")
    print(
        f"next: cd {folder} && lessonpress build (or lessonpress serve for a live preview); "
        "push to GitHub to publish it with .github/workflows/pages.yml"
    )
    return 0
