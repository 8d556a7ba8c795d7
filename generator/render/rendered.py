"""Render stage: what rendering one post's body gives the pages, listings, feeds and search.

Plain frozen data, so every render module can take it without knowing the others.
"""

from __future__ import annotations

from dataclasses import dataclass

from generator.errors import Diagnostic
from generator.model import OutputFile, Post


@dataclass(frozen=True)
class TocEntry:
    """One heading of a post, for its table of contents."""

    level: int
    id: str
    title: str  # HTML: text escaped, math as MathML


@dataclass(frozen=True)
class RenderedBody:
    """What a Markdown engine made of one post body."""

    html: str
    toc: tuple[TocEntry, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True)
class RenderedPost:
    """A post's body HTML and what the listing pages need to know about it."""

    post: Post
    html: str
    toc: tuple[TocEntry, ...]
    files: tuple[OutputFile, ...]
    diagnostics: tuple[Diagnostic, ...]
    reading_minutes: int
    search: str = ""  # this post's search-index entry (JSON), made with the body
    summary: str = ""  # the first paragraph's text, for meta descriptions
    datasets: tuple[str, ...] = ()  # names of the datasets the post's cells published
    image: str = ""  # site-relative URL of the first chart's PNG, for social cards ("": none)
    image_alt: str = ""  # what that picture shows
