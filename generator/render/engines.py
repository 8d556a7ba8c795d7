"""Render stage: which Markdown dialect a post is written in, and the warm engines for each.

``content/`` posts are CommonMark + GFM (comrak); a Jekyll site's posts and pages
are kramdown as Jekyll reads them (Python-Markdown with our extensions). A site
may choose one dialect for all its posts with ``markdown:`` in its config.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol

from generator.model import Post, SiteConfig
from generator.render.fragments import Fragments
from generator.render.highlight import Highlighter
from generator.render.texmath import KeptLatex

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from generator.render.rendered import RenderedBody

Dialect = Literal["commonmark", "kramdown"]


def dialect(post: Post, config: SiteConfig) -> Dialect:
    """The site's ``markdown:`` if it has one, else by where the post lives. A notebook's
    Markdown cells are always CommonMark, as Jupyter renders them."""
    if config.markdown == "commonmark" or post.source.suffix.lower() == ".ipynb":
        return "commonmark"
    if config.markdown == "kramdown":
        return "kramdown"
    return "kramdown" if post.jekyll else "commonmark"


class Engine(Protocol):
    def render(
        self, post: Post, *, blocks: Mapping[str, str], liquid: Any = None
    ) -> RenderedBody: ...


@dataclass
class Engines:
    """One process's engines, each made on first use (a fully cached build makes none)."""

    fragments: Fragments = field(default_factory=Fragments)
    highlighter: Highlighter = field(init=False)
    _made: dict[str, Engine] = field(default_factory=dict)

    latex: KeptLatex = field(init=False)

    def __post_init__(self) -> None:
        self.highlighter = Highlighter(self.fragments)
        self.latex = KeptLatex(self.fragments)

    def for_post(self, post: Post, config: SiteConfig) -> Engine:
        name = dialect(post, config)
        engine = self._made.get(name)
        if engine is None:
            if name == "kramdown":
                from generator.render.markdown import MarkdownRenderer

                engine = MarkdownRenderer()
            else:
                from generator.render.commonmark import CommonMarkRenderer

                engine = CommonMarkRenderer(self.highlighter, self.latex)
            self._made[name] = engine
        return engine
