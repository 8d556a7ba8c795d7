"""Render stage: a precomputed ``interact`` as HTML controls and a frame per position.

The compute stage hands over the controls (label, kind, the values the page can reach)
and every distinct frame (:mod:`generator.compute.frames`). The page gets:

- real form controls, labelled with each widget's description: a range input per slider
  (stepping through positions 0..n-1, so a float never has to match; the value it stands
  for is its readout and its ``aria-valuetext``), a select per dropdown or radio group,
  a checkbox per checkbox; an ``aria-live`` readout says the value as it changes;
- the first frame in the HTML, so the page reads without JavaScript;
- the other frames in a script file beside the page (``<id>-frames.js``), which
  ``static/js/interact.js`` loads when the reader comes near or touches a control. A
  script, not JSON fetched, so it works from ``file://`` too. Figures are files, named
  by their content, each stored once however many frames show it.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from generator.model import Display, OutputFile

RenderDisplays = Callable[
    [Sequence[Display], str], tuple[str, tuple[OutputFile, ...], tuple[str, ...]]
]


@dataclass(frozen=True)
class Interact:
    html: str
    files: tuple[OutputFile, ...]
    problems: tuple[str, ...]


def render_interact(data: str, *, page_dir: str, ident: str, render: RenderDisplays) -> Interact:
    """HTML for one interact output (its JSON ``data``), and the files it needs.

    ``render(displays, stem)`` turns a frame's outputs into HTML and image files named
    from ``stem``."""
    try:
        found = json.loads(data)
        controls: list[dict[str, Any]] = list(found["controls"])
        frames: list[dict[str, Any]] = list(found["frames"])
        index: list[int] = [int(i) for i in found["index"]]
    except (ValueError, KeyError, TypeError):
        return Interact("", (), ("an interact output is malformed and is left out",))
    files: dict[str, OutputFile] = {}
    problems: list[str] = []
    shown: list[str] = []
    for frame in frames:
        body = json.dumps(frame, sort_keys=True, ensure_ascii=False)
        stem = f"{ident}-{hashlib.sha256(body.encode()).hexdigest()[:10]}"
        displays = [
            Display(str(d["mime"]), str(d["data"]), str(d.get("alt", "")))
            for d in frame.get("displays", ())
        ]
        part, made, left_out = render(displays, stem)
        text = str(frame.get("text", ""))
        printed = (
            f'<pre class="lp-cell-output"><code>{html.escape(text)}</code></pre>' if text else ""
        )
        shown.append(printed + part)
        for file in made:
            files[file.path] = file
        problems.extend(left_out)
    start = _flat([int(c["start"]) for c in controls], [len(c["labels"]) for c in controls])
    first = index[start] if index and 0 <= start < len(index) else -1
    script = f"{ident}-frames.js"
    payload = json.dumps({"frames": shown, "index": index}, ensure_ascii=False, sort_keys=True)
    # "</" inside a frame's HTML must not end a script element that loads this file.
    payload = payload.replace("</", "<\\/")
    code = (
        "(window.lessonpressFrames = window.lessonpressFrames || {})"
        f"[{json.dumps(ident)}] = {payload};\n"
    )
    made_script = OutputFile(posixpath.join(page_dir, script), code.encode("utf-8"))
    files[made_script.path] = made_script
    page = _page(
        found, controls, ident, script, (first, shown[first] if first >= 0 else ""), len(frames)
    )
    return Interact(page, tuple(files[k] for k in sorted(files)), tuple(problems))


def _flat(positions: list[int], sizes: list[int]) -> int:
    flat = 0
    for position, size in zip(positions, sizes, strict=True):
        flat = flat * size + position
    return flat


def _page(
    found: dict[str, Any],
    controls: list[dict[str, Any]],
    ident: str,
    script: str,
    first: tuple[int, str],
    count: int,
) -> str:
    manual = bool(found.get("manual"))
    names = [str(n) for n in found.get("datasets", ())]
    linked = (
        f' data-datasets="{html.escape(json.dumps(names, ensure_ascii=False), quote=True)}"'
        if names
        else ""
    )
    parts = [_control(c, f"{ident}-{c['name']}") for c in controls]
    if manual:
        label = html.escape(str(found.get("button") or "Run Interact"))
        parts.append(f'<button type="button" class="lp-interact-run" disabled>{label}</button>')
    note = f"Computed when this page was built: {count:,} different output"
    note += "s" if count != 1 else ""
    full, reachable = int(found.get("full", 0)), len(found.get("index", ()))
    if full > reachable:
        note += f", for {reachable:,} of the {full:,} combinations of the controls"
    note += "."
    if found.get("random"):
        note += " Random numbers are drawn from the same seed at every position of the controls."
    return (
        f'<div class="lp-interact" id="{ident}" data-frames="{html.escape(script, quote=True)}"'
        f' data-manual="{"true" if manual else "false"}" data-frame="{first[0]}"{linked}>'
        '<div class="lp-interact-controls" role="group" aria-label="Controls">'
        f"{''.join(parts)}</div>"
        f'<div class="lp-interact-frame">{first[1]}</div>'
        f'<p class="lp-interact-note">{html.escape(note)}</p></div>'
    )


def _control(control: dict[str, Any], ident: str) -> str:
    labels = [str(x) for x in control["labels"]]
    start = int(control["start"])
    label = f'<label for="{ident}">{html.escape(str(control["label"]))}</label>'
    size = f' data-lp-control data-size="{len(labels)}"'
    if control["kind"] == "checkbox" and labels == ["off", "on"]:
        checked = " checked" if start == 1 else ""
        box = f'<input type="checkbox" id="{ident}"{size}{checked} disabled>'
        return f'<div class="lp-control lp-control-checkbox">{box}{label}</div>'
    if control["kind"] == "select":
        options = "".join(
            f'<option value="{i}"{" selected" if i == start else ""}>{html.escape(text)}</option>'
            for i, text in enumerate(labels)
        )
        select = f'<select id="{ident}"{size} disabled>{options}</select>'
        return f'<div class="lp-control lp-control-select">{label}{select}</div>'
    value = html.escape(labels[start])
    words = html.escape(json.dumps(labels, ensure_ascii=False), quote=True)
    slider = (
        f'<input type="range" id="{ident}"{size} min="0" max="{len(labels) - 1}" step="1"'
        f' value="{start}" aria-valuetext="{value}" data-labels="{words}" disabled>'
    )
    readout = f'<output id="{ident}-value" for="{ident}" aria-live="polite">{value}</output>'
    return f'<div class="lp-control lp-control-range">{label}{slider}{readout}</div>'
