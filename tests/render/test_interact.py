"""An interact output as HTML controls, its first frame in the page and the rest in a
script file beside it."""

from __future__ import annotations

import json
from collections.abc import Sequence

from generator.model import Display, OutputFile
from generator.render.interact import render_interact


def fake_render(
    displays: Sequence[Display], stem: str
) -> tuple[str, tuple[OutputFile, ...], tuple[str, ...]]:
    files = tuple(
        OutputFile(f"posts/p/{stem}-{n}.svg", d.data.encode()) for n, d in enumerate(displays, 1)
    )
    html = "".join(f'<img src="{stem}-{n}.svg" alt="{d.alt}">' for n, d in enumerate(displays, 1))
    return html, files, ()


def data(**overrides: object) -> str:
    found: dict[str, object] = {
        "controls": [
            {
                "name": "k",
                "label": "Steps <k>",
                "kind": "range",
                "labels": ["1", "2", "3"],
                "start": 1,
            },
            {
                "name": "show",
                "label": "Show",
                "kind": "checkbox",
                "labels": ["off", "on"],
                "start": 0,
            },
        ],
        "frames": [
            {"text": "one </script><script>alert(1)</script>\n", "displays": []},
            {
                "text": "",
                "displays": [{"mime": "image/svg+xml", "data": "<svg/>", "alt": "k is 2"}],
            },
        ],
        "index": [0, 0, 1, 0, 0, 0],
        "random": True,
        "manual": False,
        "full": 6,
    }
    found.update(overrides)
    return json.dumps(found)


def test_controls_are_labelled_and_the_first_frame_is_in_the_page() -> None:
    made = render_interact(data(), page_dir="posts/p", ident="cell-2-1", render=fake_render)
    assert made.problems == ()
    assert '<label for="cell-2-1-k">Steps &lt;k&gt;</label>' in made.html
    assert 'type="range" id="cell-2-1-k" data-lp-control data-size="3" min="0" max="2"' in made.html
    assert 'aria-valuetext="2"' in made.html and 'aria-live="polite">2</output>' in made.html
    assert (
        '<input type="checkbox" id="cell-2-1-show" data-lp-control data-size="2" disabled>'
        in made.html
    )
    # Position (1, 0) is grid point 2, frame 1: its figure is in the page.
    assert 'data-frame="1"' in made.html and 'alt="k is 2"' in made.html
    assert "Random numbers are drawn from the same seed" in made.html
    assert "2 different outputs." in made.html


def test_frames_go_to_a_script_that_no_frame_can_break_out_of() -> None:
    made = render_interact(data(), page_dir="posts/p", ident="cell-2-1", render=fake_render)
    paths = [f.path for f in made.files]
    assert paths == sorted(paths) and "posts/p/cell-2-1-frames.js" in paths
    script = next(f for f in made.files if f.path.endswith("-frames.js")).data.decode()
    assert "</" not in script  # no closing tag, "</script>" least of all, stays as it is
    payload = json.loads(script.split("] = ", 1)[1].rstrip().rstrip(";"))
    assert (
        payload["frames"][0].endswith("</code></pre>") and "&lt;/script&gt;" in payload["frames"][0]
    )
    assert payload["index"] == [0, 0, 1, 0, 0, 0] and len(payload["frames"]) == 2
    # Figures are named by their frame's content: the same frame, the same file.
    again = render_interact(data(), page_dir="posts/p", ident="cell-2-1", render=fake_render)
    assert again.files == made.files


def test_a_manual_interact_has_its_button_and_a_malformed_one_is_left_out_with_a_reason() -> None:
    manual = render_interact(
        data(manual=True, button="Go"), page_dir="posts/p", ident="i", render=fake_render
    )
    assert '<button type="button" class="lp-interact-run" disabled>Go</button>' in manual.html
    broken = render_interact("{", page_dir="posts/p", ident="i", render=fake_render)
    assert broken.html == "" and broken.problems == (
        "an interact output is malformed and is left out",
    )
