"""Social cards show a post's first chart: a PNG drawn at build time, on real small sites.

Sites that show a picture for a shared link run no JavaScript and take no SVG, so the build
draws the first chart (as the slider starts) to ``data/<slug>/social.png`` and names it in
``og:image``/``twitter:image``, unless front matter gives an ``image``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from PIL import Image

from generator.model import ComputeResult, Post
from generator.render.bodies import render_bodies
from generator.render.pages import Renderer
from generator.render.rendered import RenderedPost
from tests.helpers import build_site, render_posts
from tests.helpers import write_site as write_files

SITE_YML = "title: T\nbase_url: https://example.org/lessons/\n"

# A computed table and a sweep; the dataset is called `social` on purpose: its
# social.json/social.csv sit beside social.png without clashing.
FIT = """
    ---
    title: Fitting a line
    ---
    How a slope changes the fit.

    ```python {compute}
    xs = [0, 1, 2, 3, 4, 5]
    ys = [0.2, 1.1, 1.9, 3.2, 3.9, 5.1]
    dataset("social", x=xs, y=ys)
    sweep("fits", "slope", [0.5, 1.0, 1.5], lambda b: {"x": xs, "yhat": [b * x for x in xs]})
    ```

    ```chart
    type: scatter
    data: social
    x: x
    control: slope
    title: Data and fitted line
    caption: Move the slider.
    series:
      - y: y
        label: Data
      - data: fits
        y: yhat
        type: line
        label: Fit
        color: "#cc0000"
    ```

    ```chart
    type: bar
    data: {a: [x, y], b: [1, 2]}
    x: a
    y: b
    title: The second chart
    ```
"""

PLAIN = """
    ---
    title: Words only
    ---
    No charts here.
"""

CARD = """
    ---
    title: With a card
    image: /img/card.png
    image_alt: A hand-made card
    ---
    A chart, but the author chose the picture.

    ```chart
    data: {a: [1, 2, 3], b: [3, 1, 2]}
    x: a
    y: b
    ```
"""

BARS = """
    ---
    title: Bars
    ---
    ```chart
    type: bar
    data: {a: [x, y], b: [1, 2]}
    x: a
    y: b
    ```
"""


BLUE = (0x00, 0x72, 0xB2)  # palette slot 1 (static/css/charts.css), the first series
RED = (0xCC, 0x00, 0x00)  # the second series' own colour


def _meta(html: str, key: str) -> list[str]:
    return re.findall(rf'<meta (?:name|property)="{re.escape(key)}" content="([^"]*)">', html)


def _site(root: Path, posts: dict[str, str]) -> Path:
    files = {"site.yml": SITE_YML} | {f"content/posts/{n}.md": t for n, t in posts.items()}
    return write_files(root, files)


def test_first_chart_is_the_social_image(tmp_path: Path, run_build) -> None:
    built = run_build(_site(tmp_path / "src", {"fit": FIT}))
    assert built.code == 0, built.err
    page = built.read("posts/fit/index.html")
    url = "https://example.org/lessons/data/fit/social.png"
    assert _meta(page, "og:image") == [url]
    assert _meta(page, "twitter:image") == [url]
    assert _meta(page, "twitter:card") == ["summary_large_image"]
    assert _meta(page, "og:image:type") == ["image/png"]
    assert (_meta(page, "og:image:width"), _meta(page, "og:image:height")) == (["1200"], ["630"])
    assert _meta(page, "og:image:alt") == ["Data and fitted line. Move the slider."]
    # Only the first chart is drawn; the dataset of the same name keeps its own files.
    assert sorted(p.relative_to(built.site).as_posix() for p in built.site.rglob("*.png")) == [
        "data/fit/social.png"
    ]
    assert (built.site / "data/fit/social.json").is_file()
    image = Image.open(built.site / "data/fit/social.png")
    assert (image.format, image.size, image.mode) == ("PNG", (1200, 630), "RGB")
    colours = {rgb for _, rgb in image.getcolors(maxcolors=1200 * 630)}
    assert len(colours) > 20  # text, grid, axes and series, not a blank card
    assert BLUE in colours and RED in colours  # the series, in the page's colours
    assert image.getpixel((2, 2)) == (255, 255, 255)


def test_social_image_bytes_are_the_same_on_every_build(tmp_path: Path, run_build) -> None:
    first = run_build(_site(tmp_path / "a", {"fit": FIT}), out=tmp_path / "site-a")
    again = run_build(tmp_path / "a", out=tmp_path / "site-a2")  # reuses what the first build kept
    assert first.code == again.code == 0, first.err + again.err
    fresh = build_site(_site(tmp_path / "b", {"fit": FIT}), tmp_path / "site-b")  # another process
    assert fresh.returncode == 0, fresh.stderr
    sites = (first.site, again.site, tmp_path / "site-b")
    pngs = [(site / "data/fit/social.png").read_bytes() for site in sites]
    assert pngs[0] == pngs[1] == pngs[2]
    assert _meta(again.read("posts/fit/index.html"), "og:image") == [
        "https://example.org/lessons/data/fit/social.png"
    ]


def test_a_body_from_the_render_cache_keeps_its_social_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = {"site.yml": SITE_YML, "content/posts/bars.md": BARS}
    renderer, rendered = render_posts(tmp_path / "src", site)
    post = rendered[0].post
    cache = tmp_path / "cache"
    fresh = render_bodies([post], [ComputeResult()], renderer, jobs=1, cache_dir=cache)
    later = Renderer(renderer.config, renderer.theme, renderer.site_root)

    def must_not_render(post: Post, result: ComputeResult) -> RenderedPost:
        raise AssertionError(f"{post.rel} was rendered again instead of read from the cache")

    monkeypatch.setattr(later, "render_post_body", must_not_render)
    cached = render_bodies([post], [ComputeResult()], later, jobs=1, cache_dir=cache)
    assert (fresh[0].image, fresh[0].image_alt) == (
        "/data/bars/social.png",
        "Bar chart. b against a.",
    )
    assert cached == fresh


def test_front_matter_image_wins_over_the_chart(tmp_path: Path, run_build) -> None:
    built = run_build(_site(tmp_path / "src", {"card": CARD}))
    assert built.code == 0, built.err
    page = built.read("posts/card/index.html")
    assert _meta(page, "og:image") == ["https://example.org/lessons/img/card.png"]
    assert _meta(page, "og:image:alt") == ["A hand-made card"]
    assert _meta(page, "twitter:card") == ["summary_large_image"]
    assert not _meta(page, "og:image:width")  # the build does not know that picture's size
    assert not (built.site / "data/card/social.png").exists()


def test_post_without_charts_gets_a_summary_card(tmp_path: Path, run_build) -> None:
    built = run_build(_site(tmp_path / "src", {"plain": PLAIN}))
    assert built.code == 0, built.err
    page = built.read("posts/plain/index.html")
    assert not _meta(page, "og:image") and not _meta(page, "twitter:image")
    assert _meta(page, "twitter:card") == ["summary"]
    assert not list(built.site.rglob("*.png"))


def test_only_sites_with_charts_load_pillow(tmp_path: Path) -> None:
    def imports_pillow(name: str, posts: dict[str, str]) -> bool:
        src = _site(tmp_path / name, posts)
        result = build_site(src, tmp_path / f"{name}-site", env={"PYTHONPROFILEIMPORTTIME": "1"})
        assert result.returncode == 0, result.stderr
        return re.search(r"\|\s+PIL$", result.stderr, re.M) is not None

    assert not imports_pillow("plain", {"plain": PLAIN, "more": PLAIN})
    assert imports_pillow("chart", {"plain": PLAIN, "bars": BARS})


def test_chart_with_a_slider_is_drawn_at_its_initial_value(tmp_path: Path, run_build) -> None:
    sweep = """
        ---
        title: Slider
        ---
        ```python {compute}
        sweep("levels", "k", [1, 2, 3], lambda k: {"x": [0, 1, 2, 3], "y": [k, 2 * k, k, 3 * k]})
        ```

        ```chart
        data: levels
        x: x
        y: y
        control: k
        initial: 3
        title: Levels
        ```
    """
    table = """
        ---
        title: {name}
        ---
        ```chart
        data: {{x: [0, 1, 2, 3], y: {ys}}}
        x: x
        y: y
        title: Levels
        ```
    """
    posts = {
        "slider": sweep,
        "at-3": table.format(name="At 3", ys="[3, 6, 3, 9]"),
        "at-1": table.format(name="At 1", ys="[1, 2, 1, 3]"),
    }
    built = run_build(_site(tmp_path / "src", posts))
    assert built.code == 0, built.err
    png = {name: (built.site / f"data/{name}/social.png").read_bytes() for name in posts}
    assert png["slider"] == png["at-3"]
    assert png["slider"] != png["at-1"]
    assert Image.open(io.BytesIO(png["slider"])).size == (1200, 630)


def test_first_chart_with_problems_gives_no_picture(tmp_path: Path, run_build) -> None:
    broken = """
        ---
        title: Broken
        ---
        ```chart
        data: {a: [1, 2], b: [3, 4]}
        x: a
        y: nope
        ```

        ```chart
        data: {a: [1, 2], b: [3, 4]}
        x: a
        y: b
        ```
    """
    built = run_build(_site(tmp_path / "src", {"broken": broken}), "--keep-going")
    assert "content/posts/broken.md:7: unknown column 'nope'" in built.err
    page = built.read("posts/broken/index.html")
    assert not _meta(page, "og:image") and _meta(page, "twitter:card") == ["summary"]
    assert not (built.site / "data/broken/social.png").exists()
