"""Heading ids of the CommonMark path are Python-Markdown's, title for title."""

from __future__ import annotations

from markdown.extensions import toc

from generator.render.slugs import slugify_unicode, unique

TITLES = [
    "Linear regression", "  Mean   squared error  ", "Train / test split", "Loss_1",
    "x^2 + y^2 = r^2", "Ça va — déjà vu", "日本語の見出し", "C++ & C#", "", "---", "a_b-c d",
    "Step 1: fit", "Step 1: fit", "loss", "loss", "loss_1", "loss_2", "Δθ and ∂L/∂w",
    "tab\there", "emoji 🎉 party", "UPPER lower", "dots...and,commas", "_", "_1",
]  # fmt: skip


def test_slugs_and_numbering_match_python_markdown() -> None:
    ours: set[str] = set()
    theirs: set[str] = set()
    for title in TITLES:
        assert slugify_unicode(title) == toc.slugify_unicode(title, "-"), title
        assert unique(slugify_unicode(title), ours) == toc.unique(
            toc.slugify_unicode(title, "-"), theirs
        ), title
    assert ours == theirs
