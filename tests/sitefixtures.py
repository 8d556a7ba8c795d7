"""Helpers for the feed/search/meta tests: real small sites, rendered through the real stages."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from generator.build.pipeline import layout_resolver
from generator.content.config import load_config
from generator.content.posts import load_posts, sort_posts
from generator.model import ComputeResult
from generator.render.pages import Renderer
from generator.render.rendered import RenderedPost
from generator.theme import load_theme
from tests.conftest import write_files


def render_posts(
    root: Path, files: Mapping[str, str | bytes], *, drafts: bool = False
) -> tuple[Renderer, list[RenderedPost]]:
    """Write the site, then content -> render bodies (no cells) as a build does."""
    write_files(root, files)
    config = load_config(root)
    theme = load_theme(root)
    posts, diags = load_posts(root, config, layout_resolver(root, theme), drafts=drafts)
    assert not [d for d in diags if d.is_error], diags
    renderer = Renderer(config, theme, root)
    rendered = [renderer.render_post_body(p, ComputeResult()) for p in sort_posts(posts)]
    return renderer, rendered
