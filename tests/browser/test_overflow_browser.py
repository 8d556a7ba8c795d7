"""Wide code and equations on narrow and wide screens: the page never scrolls sideways,
and a box that does shows a shadow on the edge that hides more, until that edge is reached."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

LESSON = "posts/least-squares-tutorial/"


def edge_darkness(page: Any, selector: str, index: int) -> tuple[float, float]:
    """How much darker than the box's own colour the left and right inner edges of its top
    padding are (where no text is): a shadow there means more to scroll to."""
    box = page.locator(selector).nth(index)
    shot = Image.open(io.BytesIO(box.screenshot(animations="disabled"))).convert("L")
    width = shot.width
    row = [shot.getpixel((x, 4)) for x in range(width)]
    middle = sorted(row[width // 3 : 2 * width // 3])[len(row[width // 3 : 2 * width // 3]) // 2]
    left = min(row[1:8])
    right = min(row[width - 8 : width - 1])
    return float(middle) - float(left), float(middle) - float(right)


@pytest.mark.parametrize("width", [390, 1280])
def test_wide_code_scrolls_in_its_box_with_a_visible_cue(
    page: Any, serve_dir: Callable[..., str], example_site: Path, width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(serve_dir(example_site) + LESSON)
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # the page stays put
    wide = page.evaluate(
        "[...document.querySelectorAll('.post-body pre')].findIndex("
        "(p) => p.scrollWidth > p.clientWidth + 40)"
    )
    assert wide >= 0, "the lesson has a code block wider than its column"
    pre = page.locator(".post-body pre").nth(wide)
    pre.scroll_into_view_if_needed()
    left, right = edge_darkness(page, ".post-body pre", wide)
    assert right > 15 and left < 8, (left, right)  # more to the right, nothing to the left
    pre.evaluate("(p) => { p.scrollLeft = p.scrollWidth; }")
    left, right = edge_darkness(page, ".post-body pre", wide)
    assert left > 15 and right < 8, (left, right)  # at the end: the cue moves to the left


def test_display_equations_fit_or_scroll_inside_their_own_box_on_a_phone(
    page: Any, serve_dir: Callable[..., str], example_site: Path
) -> None:
    page.set_viewport_size({"width": 390, "height": 900})
    page.goto(serve_dir(example_site) + "posts/linear-regression-interactive/")
    found = page.evaluate(
        """() => [...document.querySelectorAll('math[display=block]')].map((m) => {
            const box = m.closest('.math-display');
            return {boxed: !!box, scrolls: box ? getComputedStyle(box).overflowX : '',
                    right: m.getBoundingClientRect().right,
                    boxRight: box ? box.getBoundingClientRect().right : 0};
        })"""
    )
    assert found and all(f["boxed"] and f["scrolls"] == "auto" for f in found), found
    assert all(f["boxRight"] <= 390 for f in found), found
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
