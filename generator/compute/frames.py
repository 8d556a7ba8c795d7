"""Compute stage, worker side: ``interact``, ``interactive`` and ``interact_manual``
precomputed, so that their sliders work on a static page.

When a cell imports ipywidgets, :func:`install` adjusts ipywidgets' own ``interactive``
class in this worker (the zygote's copy stays as it was):

- ``interactive.update``, which ipywidgets calls with the widgets' current values (when
  the widget is made, and when a value changes), captures what the function shows --
  figures, ``display()``, printed text -- as a *frame*, instead of sending it to a
  kernel's output area;
- showing the widget (``interact(...)`` and the decorator show it themselves;
  ``display(w)`` or a cell ending in ``w``) computes a frame for every point of the
  controls' grid (:mod:`generator.compute.controls`) and becomes one output, the
  ``INTERACT`` mime type, which the render stage turns into HTML controls.

Every frame starts from the same state: frames are computed in processes forked from
this worker after the cell has run up to the ``interact`` (so in parallel, and a frame
cannot change what the next one sees), and the random generators are seeded the same
for each. Each frame is cached by the cells before it, the interact's place in the post
and its controls' positions, so changing the budget or a later cell reuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.compute import framepool, sink
from generator.compute.controls import Grid, read_grid, thinning_note
from generator.compute.datasets import DatasetError, normalise_scalar
from generator.outputs import INTERACT

Frame = dict[str, Any]  # {"text", "displays", "random", "error": [line, message] | None}


@dataclass
class Session:
    """What frames need from the worker running the post."""

    reseed: Callable[[], None]  # seed random, numpy and torch as for the post
    locate: Callable[[BaseException], tuple[int, str]]  # an error's .md line and message
    warn: Callable[[int, str], None]
    beat: Callable[[], None]  # a frame is done: the cell is not stuck
    line: Callable[[], int]  # the running cell's first line
    budget: Callable[[], int]  # the running cell's frame budget
    cell_key: Callable[[], str]  # hash of the cells up to the running one
    shell: Callable[[], None]  # make sure IPython's display() works
    publish: Callable[[dict[str, Any]], None]  # a dataset, as dataset() publishes one
    digits: int = 6
    jobs: int = 1  # processes computing frames
    cache_dir: Path | None = None
    shown: int = 0  # interacts shown so far in this post
    errors: list[tuple[int, str]] = field(default_factory=list)
    collecting: list[dict[str, Any]] | None = None  # dataset() calls of the running frame


def install(session: Session) -> None:
    """Precompute ``interact`` in this worker, now if ipywidgets is loaded, else once a
    cell imports it."""
    module = sys.modules.get("ipywidgets.widgets.interaction")
    if module is not None:
        _patch(module, session)
        return
    sys.meta_path.insert(0, _WhenImported("ipywidgets.widgets.interaction", session))


class _WhenImported:
    """An import hook that patches one module as soon as it has loaded."""

    def __init__(self, name: str, session: Session) -> None:
        self.name, self.session = name, session

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        import importlib.util

        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        run_module = loader.exec_module

        def exec_module(module: Any) -> None:
            run_module(module)
            _patch(module, self.session)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _patch(module: Any, session: Session) -> None:
    interactive = module.interactive
    show_plain = module.display
    make = interactive.__init__
    ready: list[bool] = []

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        if not ready:  # the first interactive of the post: display(w) must reach us
            ready.append(True)
            session.shell()
            shell = _shell()
            if shell is not None:  # display(w), or a cell ending in w
                shell.display_formatter.mimebundle_formatter.for_type(
                    interactive,
                    lambda w, include=None, exclude=None: {INTERACT: precompute(session, w)},
                )
        make(self, *args, **kwargs)

    def update(self: Any, *args: Any) -> None:
        self.kwargs = {w._kwarg: w.get_interact_value() for w in self.kwargs_widgets}
        self._lessonpress_frame = frame(session, self.f, self.kwargs, bool(self.auto_display))

    def display(*objs: Any, **kwargs: Any) -> Any:
        if len(objs) == 1 and isinstance(objs[0], interactive):
            sink.captured.append(
                {"mime": INTERACT, "data": precompute(session, objs[0]), "alt": ""}
            )
            return None
        return show_plain(*objs, **kwargs)

    interactive.__init__ = init
    interactive.update = update
    module.display = display  # what interact(...) and @interact call to show the widget


def _shell() -> Any:
    from IPython.core.interactiveshell import InteractiveShell

    return InteractiveShell.instance() if InteractiveShell.initialized() else None


# --------------------------------------------------------------------------- one frame


def frame(
    session: Session, function: Callable[..., Any], kwargs: dict[str, Any], auto: bool
) -> Frame:
    """Call ``function(**kwargs)`` and keep what it shows, leaving the cell's own outputs
    (and the figures it still has open) where they were."""
    _flush_figures()  # as ipywidgets does before it calls the function
    before = sink.drain()
    text = io.StringIO()
    figure_format, sink.figure_format = sink.figure_format, "svg"  # sharp and light
    session.reseed()
    draws = _random_states()
    error = None
    session.collecting = []
    with _frame_style():
        try:
            with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
                result = function(**kwargs)
                if auto and result is not None:
                    _show(result)
        except Exception as exc:  # the author's error: shown in the frame, reported by line
            line, message = session.locate(exc)
            head, newline, rest = message.partition("\n")
            text.write(head + "\n")
            error = [
                line,
                f"{head} (in the interact frame for {_described(kwargs)}){newline}{rest}",
            ]
        _flush_figures()
    displays = sink.drain()
    sink.figure_format = figure_format
    sink.captured.extend(before)
    used_random = _random_states() != draws
    tables, session.collecting = session.collecting, None
    return {
        "text": text.getvalue(),
        "displays": displays,
        "random": used_random,
        "error": error,
        "datasets": tables,
    }


def _frame_style() -> contextlib.AbstractContextManager[Any]:
    """Figures in frames keep their text as text (``svg.fonttype: none``): a reader's
    browser draws it, so a line plot's frame costs a few KB instead of carrying the
    outlines of every glyph again in each of hundreds of frames."""
    matplotlib = sys.modules.get("matplotlib")
    if matplotlib is None:
        return contextlib.nullcontext()
    context: contextlib.AbstractContextManager[Any] = matplotlib.rc_context(
        {"svg.fonttype": "none"}
    )
    return context


def _described(kwargs: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_short(v)}" for k, v in kwargs.items())


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _show(value: Any) -> None:
    shell = _shell()
    if shell is not None:
        shell.displayhook(value)
    else:
        print(repr(value))


def _flush_figures() -> None:
    figures = sys.modules.get("generator.compute.figures")
    if figures is not None:  # matplotlib has drawn with our backend
        with contextlib.suppress(Exception):
            figures.flush()


def _random_states() -> list[Any]:
    """The random generators' states, to tell whether a frame drew random numbers."""
    states: list[Any] = [random.getstate()]
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        with contextlib.suppress(Exception):
            kind, keys, pos, *rest = numpy.random.get_state()
            states.append((kind, keys.tobytes(), pos, *rest))
    torch = sys.modules.get("torch")
    if torch is not None:
        with contextlib.suppress(Exception):
            states.append(bytes(torch.get_rng_state().numpy().tobytes()))
    return states


# --------------------------------------------------------------------------- the grid


def precompute(session: Session, widget: Any) -> str:
    """Every frame of ``widget`` (an ``interactive``), as the INTERACT output's data."""
    line, budget = session.line(), session.budget()
    grid = read_grid(list(widget.kwargs_widgets), budget)
    for problem in grid.problems:
        session.warn(line, problem)
    if grid.size < grid.full_size:
        session.warn(line, thinning_note(grid, budget))
    ordinal = session.shown
    session.shown += 1
    points = grid.points()
    start = grid.start()
    known: dict[tuple[int, ...], Frame] = {}
    current = getattr(widget, "_lessonpress_frame", None)
    if current is not None and _made_at(grid, start, getattr(widget, "kwargs", {})):
        known[start] = current  # the frame the widget made for its own values
    auto = bool(widget.auto_display)
    frames = _all_frames(session, grid, points, widget.f, auto, ordinal, known)
    for found in frames.values():
        if found.get("error"):
            session.errors.append((int(found["error"][0]), str(found["error"][1])))
            break
    try:
        names = _publish_datasets(session, grid, points, frames)
    except DatasetError as exc:  # reported as the cell's error, like any dataset's
        session.errors.append((line, str(exc)))
        names = []
    return _data(grid, points, frames, start, widget, names)


def _publish_datasets(
    session: Session,
    grid: Grid,
    points: list[tuple[int, ...]],
    frames: dict[tuple[int, ...], Frame],
) -> list[str]:
    """A ``dataset()`` published by the interact's function becomes a sweep over its
    control (``control: theta_hat`` in a chart), or over the grid (``control: frame``)
    when there are several: a chart of it follows the controls."""
    if any(frames[p].get("error") for p in points):
        return []
    names = list(
        dict.fromkeys(str(w["name"]) for p in points for w in frames[p].get("datasets", ()))
    )
    single = len(grid.controls) == 1
    param = grid.controls[0].name if single else "frame"
    if single:
        values = [
            normalise_scalar(grid.controls[0].values[k], session.digits, f"interact {param}")
            for k in grid.kept[0]
        ]
    else:
        values = list(range(len(points)))
    for name in names:
        tables = []
        for point in points:
            found = [w for w in frames[point].get("datasets", ()) if w["name"] == name]
            if len(found) != 1 or found[0].get("kind") != "table":
                where = _described(grid.arguments(point))
                raise DatasetError(
                    f"dataset {name!r} must be published once by every frame of the interact "
                    f"(as a table, with dataset()); the frame for {where} published it "
                    f"{len(found)} times"
                )
            tables.append(found[0]["columns"])
        if any(list(t) != list(tables[0]) for t in tables):
            raise DatasetError(f"dataset {name!r} has different columns in different frames")
        if single and len({repr(v) for v in values}) != len(values):
            raise DatasetError(f"dataset {name!r}: the values of {param!r} repeat after rounding")
        session.publish(
            {"name": name, "kind": "sweep", "param": param, "values": values, "tables": tables}
        )
    return names


def _made_at(grid: Grid, point: tuple[int, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the widget's own call had the values of ``point``."""
    try:
        return all(
            bool(kwargs.get(c.name) == c.values[p])
            for c, p in zip(grid.controls, point, strict=True)
        )
    except Exception:  # values that do not compare (arrays as options)
        return False


def _data(
    grid: Grid,
    points: list[tuple[int, ...]],
    frames: dict[tuple[int, ...], Frame],
    start: tuple[int, ...],
    widget: Any,
    datasets: list[str],
) -> str:
    unique: dict[str, int] = {}
    shown: list[Frame] = []
    index: list[int] = []
    for point in points:
        found = frames[point]
        body = {k: found[k] for k in ("text", "displays")}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        if text not in unique:
            unique[text] = len(shown)
            shown.append(body)
        index.append(unique[text])
    controls = [
        {
            "name": c.name,
            "label": c.label,
            "kind": c.kind,
            "labels": [c.labels[k] for k in kept],
            "start": kept.index(s),
        }
        for c, kept, s in zip(grid.controls, grid.kept, start, strict=True)
    ]
    data = {
        "controls": controls,
        "frames": shown,
        "index": index,
        "random": any(f.get("random") for f in frames.values()),
        "manual": bool(getattr(widget, "manual", False)),
        "button": str(getattr(widget, "manual_name", "") or "Run Interact"),
        "full": grid.full_size,
        "datasets": datasets,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


def _all_frames(
    session: Session,
    grid: Grid,
    points: list[tuple[int, ...]],
    function: Callable[..., Any],
    auto: bool,
    ordinal: int,
    known: dict[tuple[int, ...], Frame],
) -> dict[tuple[int, ...], Frame]:
    keys = {p: _frame_key(session, grid, ordinal, p) for p in points}
    frames: dict[tuple[int, ...], Frame] = dict(known)
    for point, key in keys.items():
        if point not in frames and (cached := framepool.cached(session.cache_dir, key)):
            frames[point] = cached
    todo = [p for p in points if p not in frames]
    if not todo:
        return frames

    def lost(point: tuple[int, ...]) -> Frame:
        described = _described(grid.arguments(point))
        ended = f"the interact function did not finish for {described}: its process ended"
        return {"text": "", "displays": [], "random": False, "error": [session.line(), ended]}

    _flush_figures()  # the children must not draw the cell's own open figures
    computed = framepool.in_children(
        todo,
        lambda point: frame(session, function, grid.arguments(point), auto),
        jobs=session.jobs,
        beat=session.beat,
        lost=lost,
    )
    for point, found in computed.items():
        frames[point] = found
        if not found.get("error"):
            framepool.store(session.cache_dir, keys[point], found)
    return frames


def _frame_key(session: Session, grid: Grid, ordinal: int, point: tuple[int, ...]) -> str:
    signature = [[c.name, c.kind, list(c.labels)] for c in grid.controls]
    document = [session.cell_key(), ordinal, signature, sorted(grid.fixed), list(point)]
    return hashlib.sha256(json.dumps(document, default=repr).encode()).hexdigest()
