"""A body's HTML depends on its post alone: not on what the renderer rendered before it,
nor on which worker rendered it, nor on whether the build was clean or incremental."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from generator.forkmap import PARALLEL_MIN
from tests.helpers import REPO_ROOT

RICH = """\
Some text with a note[^a] and another[^b], and an HTML abbreviation.

## Part

Term
:   Its definition.

## Part

Repeated headings get distinct ids; so do footnotes.

*[HTML]: Hyper Text Markup Language

```python
def f(x):
    return x ** 2
```

Inline $x^2$ and display math:

$$
\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}
$$

| a | b |
|---|---|
| 1 | 2 |

- [ ] to do
- [x] done

[^a]: The first note.
[^b]: The second note, with `code`.
"""


def post(i: int, text: str = RICH) -> str:
    return f"---\ntitle: Post {i}\ndate: 2024-02-{1 + i % 28:02d}\norder: {i}\n---\n{text}"


def digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_a_body_renders_the_same_whatever_was_rendered_before(tmp_path: Path) -> None:
    from generator.model import Post
    from generator.render.markdown import MarkdownRenderer

    def make(name: str) -> Post:
        return Post(tmp_path / name, f"content/{name}", name, None, name, f"/{name}/", RICH, 5)

    renderer = MarkdownRenderer()
    first = renderer.render(make("a.md"), blocks={})
    for name in ("b.md", "c.md", "a.md"):
        renderer.render(make(name), blocks={})
    assert renderer.render(make("a.md"), blocks={}) == first
    assert MarkdownRenderer().render(make("a.md"), blocks={}) == first
    assert 'href="#fn:a"' in first.html and 'id="fnref:a"' in first.html  # kramdown's ids
    assert "<math" in first.html and '<span class="k">def</span>' in first.html


def test_parallel_serial_and_incremental_builds_make_the_same_footnotes(
    make_site, run_build, tmp_path: Path
) -> None:
    files = {"site.yml": "title: T\nbase_url: /\n"}
    files |= {f"content/posts/p{i:02d}.md": post(i) for i in range(PARALLEL_MIN + 8)}
    source = make_site(files)
    state = source / ".lessonpress"
    assert run_build(source, out=tmp_path / "two").code == 0  # on two cores
    shutil.rmtree(state)  # no cached bodies: every one is rendered again, in one process
    assert run_build(source, "-j", "1", out=tmp_path / "one").code == 0
    assert digest(tmp_path / "two") == digest(tmp_path / "one")
    edited = source / "content/posts/p20.md"
    edited.write_text(post(20, RICH + "\nOne more line.\n"), encoding="utf-8")
    assert run_build(source, out=tmp_path / "two").code == 0  # renders just that post
    shutil.rmtree(state)
    assert run_build(source, "-j", "1", out=tmp_path / "fresh").code == 0
    assert digest(tmp_path / "two") == digest(tmp_path / "fresh")


def test_the_example_posts_render_the_same_in_any_order() -> None:
    """Every post of the example site, rendered forwards by one renderer and backwards by
    another: Markdown extensions that count across documents would show up here."""
    from generator.build.pipeline import layout_resolver, load_config, load_posts, load_theme
    from generator.render.markdown import MarkdownRenderer

    root = REPO_ROOT
    config, theme = load_config(root), load_theme(root)
    posts, _ = load_posts(root, config, layout_resolver(root, theme), drafts=True)
    assert len(posts) >= 4
    forwards, backwards = MarkdownRenderer(), MarkdownRenderer()
    ahead = [forwards.render(p, blocks={}) for p in posts]
    behind = [backwards.render(p, blocks={}) for p in reversed(posts)]
    assert ahead == behind[::-1]
