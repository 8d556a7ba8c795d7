"""Render stage helper: the series box of posts that share a ``series:`` key.

A series is read in order: ``order`` first, then oldest first, then by path.
Returns plain dicts for ``templates/partials/series.html``; no I/O.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from generator.model import Post

_FAR_PAST = dt.datetime(1, 1, 1)


def _reading_order(post: Post) -> tuple[float, dt.datetime, str]:
    order = post.order if post.order is not None else float("inf")
    date = post.date.replace(tzinfo=None) if post.date else _FAR_PAST
    return (order, date, post.rel)


def series_boxes(posts: Sequence[Post]) -> dict[str, Mapping[str, Any]]:
    """For every post in a series, keyed by ``post.rel``: the box the template shows.

    ``{"name", "part", "total", "posts": [{"title", "url", "current"}], "prev", "next"}``
    where ``prev``/``next`` are ``{"title", "url"}`` or None. Drafts are left out.
    """
    groups: dict[str, list[Post]] = {}
    for post in posts:
        if post.series and not post.draft:
            groups.setdefault(post.series, []).append(post)
    boxes: dict[str, Mapping[str, Any]] = {}
    for name, members in groups.items():
        members.sort(key=_reading_order)
        for i, post in enumerate(members):
            boxes[post.rel] = {
                "name": name,
                "part": i + 1,
                "total": len(members),
                "posts": [{"title": p.title, "url": p.url, "current": p is post} for p in members],
                "prev": _link(members[i - 1]) if i > 0 else None,
                "next": _link(members[i + 1]) if i + 1 < len(members) else None,
            }
    return boxes


def _link(post: Post) -> dict[str, str]:
    return {"title": post.title, "url": post.url}
