"""Render stage: post bodies rendered on every core, each cached by content.

Markdown is the slowest part of a build, and each post's body depends only on
its own source, its compute results, the site config and the lessonpress
version, so bodies are rendered in forked worker processes (each with one warm
Markdown instance) and kept in ``.lessonpress/render/entries.sqlite3`` keyed by a
hash of exactly those inputs. Output is byte-identical whichever path is taken.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

from generator import __version__
from generator.content.discover import SOURCE_SUFFIXES
from generator.diskcache import DiskCache
from generator.errors import Diagnostic
from generator.forkmap import fork_map
from generator.memo import same
from generator.model import ComputeResult, OutputFile, Post, SiteConfig
from generator.render.memo import RenderMemo
from generator.render.pages import Renderer
from generator.render.rendered import RenderedPost, TocEntry

CACHE_FORMAT = 11  # bump when RenderedPost or the HTML of a body changes


def data_files_digest(root: Path) -> str:
    """Sizes and mtimes of the non-Markdown files a body may read (CSV, includes)."""
    digest = hashlib.sha256()
    for folder in ("content", "_includes", "_posts", "templates/includes"):
        base = root / folder
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for name in sorted(filenames):
                # Posts are hashed by content already; included .md files are not.
                if name.endswith(SOURCE_SUFFIXES) and folder in ("content", "_posts"):
                    continue
                stat = os.stat(os.path.join(dirpath, name))
                digest.update(f"{dirpath}/{name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def cache_key(post: Post, result: ComputeResult, config: SiteConfig, salt: str) -> str:
    material = repr(
        (__version__, CACHE_FORMAT, salt, config, post, result.outputs, result.datasets)
    )
    return hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()


def render_bodies(
    posts: Sequence[Post],
    results: Sequence[ComputeResult],
    renderer: Renderer,
    *,
    jobs: int,
    cache_dir: Path | None,
    memo: RenderMemo | None = None,
) -> list[RenderedPost]:
    """Render every body: from the memo or the cache where possible, in parallel otherwise."""
    salt = data_files_digest(renderer.site_root) if cache_dir else ""
    done: dict[int, RenderedPost] = {}
    inputs = []
    if memo is not None:
        for i, (post, result) in enumerate(zip(posts, results, strict=True)):
            inputs.append((post, result.outputs, result.datasets, salt, renderer.config))
            known = memo.bodies.get(post.rel)
            if known is not None and same(known[0], inputs[i]):
                done[i] = known[1]
        memo.bodies.clear()
    keys = {
        i: cache_key(posts[i], results[i], renderer.config, salt)
        for i in range(len(posts))
        if i not in done
    }
    cache = DiskCache(cache_dir) if cache_dir is not None else None
    if cache is not None:
        for i, key in keys.items():
            hit = _read(cache, key, posts[i])
            if hit is not None:
                done[i] = hit
    todo = [i for i in range(len(posts)) if i not in done]

    def keep(fresh: Iterator[tuple[RenderedPost, dict[str, bytes]]]) -> None:
        """Cache each body as it arrives: the writes overlap the workers' rendering."""
        for i, (item, fragments) in zip(todo, fresh, strict=True):
            done[i] = item
            renderer.engines.fragments.put_all(fragments)
            if cache is not None and not any(d.is_error for d in item.diagnostics):
                _write(cache, keys[i], item)

    try:
        # Workers are forked from this process: they inherit the renderer and the posts.
        keep(fork_map([partial(_render, renderer, posts[i], results[i]) for i in todo], jobs))
    finally:
        if cache is not None:
            cache.close()
    if memo is not None:
        for i, post in enumerate(posts):
            if not any(d.is_error for d in done[i].diagnostics):
                memo.bodies[post.rel] = (inputs[i], done[i])
    return [done[i] for i in range(len(posts))]


def _render(
    renderer: Renderer, post: Post, result: ComputeResult
) -> tuple[RenderedPost, dict[str, bytes]]:
    """A body, and the fragments its worker made for the parent to keep."""
    item = renderer.render_post_body(post, result)
    return item, renderer.engines.fragments.drain()


def _read(cache: DiskCache, key: str, post: Post) -> RenderedPost | None:
    body = cache.get(key)
    if body is None:
        return None
    try:
        entry = json.loads(body)
        return RenderedPost(
            post=post,
            html=entry["html"],
            toc=tuple(TocEntry(int(a), str(b), str(c)) for a, b, c in entry["toc"]),
            files=tuple(OutputFile(p, base64.b64decode(d)) for p, d in entry["files"]),
            diagnostics=tuple(
                Diagnostic(p, int(n), m, s, code=c) for p, n, m, s, c in entry["diagnostics"]
            ),
            reading_minutes=int(entry["reading_minutes"]),
            search=str(entry["search"]),
            summary=str(entry["summary"]),
            datasets=tuple(str(name) for name in entry["datasets"]),
            image=str(entry["image"]),
            image_alt=str(entry["image_alt"]),
        )
    except (ValueError, KeyError, TypeError):
        return None


def _write(cache: DiskCache, key: str, item: RenderedPost) -> None:
    entry = {
        "format": CACHE_FORMAT,
        "html": item.html,
        "toc": [[t.level, t.id, t.title] for t in item.toc],
        "files": [[f.path, base64.b64encode(f.data).decode("ascii")] for f in item.files],
        "diagnostics": [[d.path, d.line, d.message, d.severity, d.code] for d in item.diagnostics],
        "reading_minutes": item.reading_minutes,
        "search": item.search,
        "summary": item.summary,
        "datasets": list(item.datasets),
        "image": item.image,
        "image_alt": item.image_alt,
    }
    cache.put(key, json.dumps(entry, ensure_ascii=False).encode("utf-8"))
