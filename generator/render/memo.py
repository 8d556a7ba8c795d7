"""Render stage: what a build remembers of bodies and pages for the next build.

Bodies and pages are remembered by the identity of the objects they were made
from (a reused post is the very same object); pages by digest only, their bytes
being in the folder the writer put them (:class:`generator.memo.WrittenFiles`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the memo is loaded before a no-op build decides it has nothing to do
    from generator.render.engines import Engines
    from generator.render.rendered import RenderedPost

Inputs = tuple[object, ...]


@dataclass
class RenderMemo:
    engines: Engines | None = None  # warm Markdown engines, made on first use; never saved
    bodies: dict[str, tuple[Inputs, RenderedPost]] = field(default_factory=dict)  # by post.rel
    pages: dict[str, tuple[Inputs, bytes]] = field(default_factory=dict)  # path -> digest
    sitemap: tuple[Inputs, bytes] | None = None
