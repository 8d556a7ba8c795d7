"""Content stage: what a build remembers of each parsed file for the next build.

A file whose stat is unchanged, parsed under the same site-wide settings, is not
read again (see :func:`generator.content.posts.load_posts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from generator.content.discover import SourceFile
from generator.errors import Diagnostic
from generator.memo import StatSig
from generator.model import Post


@dataclass
class Parsed:
    sig: StatSig
    source: SourceFile  # what it was parsed as
    post: Post | None
    diagnostics: tuple[Diagnostic, ...]


@dataclass
class ContentMemo:
    world: object = None  # what every parse depends on (config, drafts, layouts)
    parsed: dict[str, Parsed] = field(default_factory=dict)  # by absolute path

    def start(self, world: object) -> None:
        """Before a build: parses made under other site-wide settings are forgotten."""
        if world != self.world:
            self.world = world
            self.parsed.clear()
