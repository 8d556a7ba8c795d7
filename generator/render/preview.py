"""Render stage: what a page shows of itself elsewhere -- its summary and its social card picture.

The summary (meta description) is the first plain paragraph of the body; the card's
picture is the post's first chart drawn as a PNG, unless front matter names an image.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from generator.model import OutputFile, Post
from generator.paths import data_path
from generator.render.rendered import RenderedPost
from generator.render.search import html_text

if TYPE_CHECKING:
    from generator.render.charts.figure import Picture

_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)


def chart_picture(post: Post, picture: Picture) -> OutputFile:
    """The first chart as a PNG beside the post's data (datasets are only .json/.csv there)."""
    # Imported here, not at the top: Pillow loads only when a post has a chart to draw.
    from generator.render.charts.image import draw_png

    return OutputFile(data_path(post.data_slug, "social", "png"), draw_png(picture))


def front_matter_image(post: Post) -> bool:
    """meta.html's rule: an `image` (or `image: {path: ...}`) in front matter is the card's."""
    image = post.extra.get("image")
    if isinstance(image, Mapping):
        image = image.get("path")
    return bool(image)


def chart_image(rendered: RenderedPost) -> dict[str, Any] | None:
    """What meta.html needs to show the first chart on social cards."""
    if not rendered.image:
        return None
    from generator.render.charts.figure import PICTURE_SIZE

    width, height = PICTURE_SIZE
    return {"path": rendered.image, "alt": rendered.image_alt, "width": width, "height": height}


def summary(html: str, limit: int = 200) -> str:
    """The first plain paragraph with text (figure parts carry classes), shortened."""
    for match in _PARAGRAPH.finditer(html):
        text = html_text(match.group(1))
        if text:
            return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"
    return ""
