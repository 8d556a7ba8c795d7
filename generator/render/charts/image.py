"""Chart stage, part 6: a chart's first state drawn as a PNG, for social cards.

Sites that show a picture for a shared link run no JavaScript and take no SVG, so a
post's first chart is drawn here at build time with Pillow: title, caption, legend,
axes with ticks, and the series in the page's light palette, as the slider starts.
The bytes depend only on the chart (one built-in font, no PNG metadata), so two
builds write the same file. Render imports this module only when it draws a picture:
posts without charts never load Pillow. Knows nothing of HTML or the output folder.
"""

from __future__ import annotations

import io
import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PIL import Image, ImageColor, ImageDraw, ImageFont

from generator.jsnumber import cell_text, js_number
from generator.model import Scalar
from generator.render.charts.data import Bound
from generator.render.charts.figure import PICTURE_SIZE, Picture

WIDTH, HEIGHT = PICTURE_SIZE
PAD = 40
# static/css/charts.css, light scheme: --lp-chart-1..8 and --lp-chart-text.
PALETTE = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#7f7f7f", "#222222")
TEXT = (29, 35, 43, 255)
GRID = (225, 226, 228, 255)
FRAME = (170, 174, 180, 255)
RGBA = tuple[int, int, int, int]
Box = tuple[float, float, float, float]  # left, top, right, bottom
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
XAt = Callable[[Scalar], float | None]
# Pillow's built-in font has ASCII letters only; these stand in for common others.
_ASCII = {"—": "-", "–": "-", "−": "-", "×": "x", "·": "*", "≈": "~", "≤": "<=", "≥": ">="}


@dataclass(frozen=True)
class _Series:
    """One series as it first appears: kind, colour and its (x, y) rows."""

    bound: Bound
    kind: str  # "line", "scatter" or "bar"
    color: RGBA
    rows: tuple[tuple[Scalar, Scalar], ...]


@dataclass(frozen=True)
class _Axis:
    lo: float
    hi: float
    log: bool
    start: float  # pixel of lo
    end: float  # pixel of hi

    def at(self, v: float) -> float:
        """The pixel of ``v``; far-off values are clamped (x_min/x_max may cut data off)."""
        if self.log:
            f = math.log10(v / self.lo) / math.log10(self.hi / self.lo)
        else:
            f = (v - self.lo) / (self.hi - self.lo)
        return max(-20000.0, min(20000.0, self.start + f * (self.end - self.start)))


def draw_png(picture: Picture) -> bytes:
    """The chart at its initial slider position, as 1200×630 PNG bytes."""
    spec = picture.spec
    series = [_series(picture, i, b) for i, b in enumerate(picture.bound)]
    img = Image.new("RGBA", PICTURE_SIZE, (255, 255, 255, 255))
    draw = ImageDraw.Draw(img)
    top = _header(draw, spec.title, spec.caption)
    legend = spec.legend if isinstance(spec.legend, bool) else bool(spec.legend) or len(series) > 1
    if legend:
        top = _legend(draw, series, top)
    y_axis, x_at, box = _axes(img, draw, picture, series, top)
    base = y_axis.at(y_axis.lo if y_axis.log else min(max(0.0, y_axis.lo), y_axis.hi))
    bars = [s for s in series if s.kind == "bar"]
    clip = (int(box[0]) - 10, int(box[1]) - 10, int(box[2]) + 10, int(box[3]) + 10)
    for s in sorted(series, key=lambda s: s.bound.series.marker):  # markers on top
        layer = Image.new("RGBA", PICTURE_SIZE, (0, 0, 0, 0))
        slot = next((k for k, b in enumerate(bars) if b is s), 0)
        _draw_series(ImageDraw.Draw(layer), s, x_at, y_axis, base, (slot, max(len(bars), 1)))
        img.alpha_composite(layer.crop(clip), dest=clip[:2])
    out = io.BytesIO()
    img.convert("RGB").save(out, format="PNG", optimize=False)
    return out.getvalue()


def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def _value(v: Scalar) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def _series(picture: Picture, i: int, b: Bound) -> _Series:
    table = b.source.table_at(picture.index)
    rows = tuple(zip(table.get(b.x, ()), table.get(b.y, ()), strict=False))
    if b.series.marker and rows:  # only the row of the slider's value, as nearestRow in JS
        rows = (min(rows, key=lambda row: _gap(row[0], picture.value)),)
    return _Series(b, b.series.type or picture.spec.type, _color(i, b), rows)


def _gap(x: Scalar, value: Scalar) -> float:
    a, b = _value(x), _value(value)
    if a is not None and b is not None:
        return abs(a - b)
    return 0.0 if x == value else math.inf


def _color(i: int, b: Bound) -> RGBA:
    """The series' CSS colour when Pillow reads it, else its palette slot (as the page)."""
    color, options = b.series.color, b.series.options
    if isinstance(color, int):
        return _rgba(PALETTE[color - 1])
    for css in (color, options.get("borderColor"), options.get("backgroundColor")):
        if isinstance(css, str):
            try:
                return _rgba(css)
            except ValueError:
                continue
    return _rgba(PALETTE[i % len(PALETTE)])


def _rgba(css: str) -> RGBA:
    r, g, b, *_ = ImageColor.getrgb(css)
    return (r, g, b, 255)


def _header(draw: ImageDraw.ImageDraw, title: str, caption: str) -> float:
    y = 28.0
    for text, size in ((title, 42), (caption, 26)):
        if text.strip():
            font = _font(size)
            draw.text((PAD, y), _fit(text.strip(), font, WIDTH - 2 * PAD), fill=TEXT, font=font)
            y += size * 1.35
    return y


def _legend(draw: ImageDraw.ImageDraw, series: Sequence[_Series], top: float) -> float:
    font, x = _font(24), float(PAD)
    for s in series:
        label = s.bound.series.label if s.bound.series.label is not None else s.bound.y
        text = _fit(label, font, 360)
        if x + 34 + font.getlength(text) > WIDTH - PAD:
            break
        draw.rectangle((x, top + 6, x + 24, top + 24), fill=s.color)
        draw.text((x + 34, top + 15), text, fill=TEXT, font=font, anchor="lm")
        x += 34 + font.getlength(text) + 30
    return top + 36


def _axes(
    img: Image.Image,
    draw: ImageDraw.ImageDraw,
    picture: Picture,
    series: Sequence[_Series],
    top: float,
) -> tuple[_Axis, XAt, Box]:
    """Grid, ticks and axis titles; returns the y axis, where x values go, the plot box."""
    spec, bound = picture.spec, picture.bound
    has_bars = any(s.kind == "bar" for s in series)
    log = spec.y_scale == "logarithmic"
    ys = [v for s in series for _, y in s.rows if (v := _value(y)) is not None]
    lo, hi, ticks = _scale(
        ys + ([0.0] if has_bars and not log else []), spec.y_min, spec.y_max, log, 5
    )
    tick_font, title_font = _font(22), _font(24)
    labels = [_number(t) for t in ticks]
    left = PAD + 56 + max((tick_font.getlength(t) for t in labels), default=0)
    box = (left, top + 20, WIDTH - PAD, HEIGHT - 100)
    y_axis = _Axis(lo, hi, log, box[3], box[1])
    for t, text in zip(ticks, labels, strict=True):
        draw.line([(box[0], y_axis.at(t)), (box[2], y_axis.at(t))], fill=GRID, width=2)
        draw.text((box[0] - 12, y_axis.at(t)), text, fill=TEXT, font=tick_font, anchor="rm")
    x_at, x_ticks = _x_axis(picture, series, box, has_bars, tick_font)
    for x, text in x_ticks:
        draw.line([(x, box[1]), (x, box[3])], fill=GRID, width=2)
        draw.text((x, box[3] + 12), text, fill=TEXT, font=tick_font, anchor="mt")
    draw.rectangle(box, outline=FRAME, width=2)
    x_title = _fit(_axis_title(spec.x_label, [b.x for b in bound]), title_font, box[2] - box[0])
    draw.text(
        ((box[0] + box[2]) / 2, HEIGHT - 30), x_title, fill=TEXT, font=title_font, anchor="ms"
    )
    y_title = _fit(_axis_title(spec.y_label, [b.y for b in bound]), title_font, box[3] - box[1])
    _vertical_text(img, y_title, title_font, (PAD + 12, (box[1] + box[3]) / 2))
    return y_axis, x_at, box


def _x_axis(
    picture: Picture, series: Sequence[_Series], box: Box, has_bars: bool, font: Font
) -> tuple[XAt, list[tuple[float, str]]]:
    """Where an x value is drawn, and the ticks (pixel, text) to label."""
    left, right, spec = box[0], box[2], picture.spec
    if not picture.category:
        xs = [v for s in series for x, _ in s.rows if (v := _value(x)) is not None]
        log = spec.x_scale == "logarithmic"
        lo, hi, ticks = _scale(xs, spec.x_min, spec.x_max, log, 7)
        axis = _Axis(lo, hi, log, left, right)

        def numeric(v: Scalar) -> float | None:
            x = _value(v)
            return axis.at(x) if x is not None else None

        return numeric, [(axis.at(t), _number(t)) for t in ticks]
    names = list(dict.fromkeys(cell_text(x) for s in series for x, _ in s.rows))
    n, width = len(names), right - left
    if has_bars or n == 1:  # bars sit in the middle of their slot, as Chart.js offsets them
        where = {t: left + width * (i + 0.5) / n for i, t in enumerate(names)}
    else:
        where = {t: left + width * i / (n - 1) for i, t in enumerate(names)}
    widest = min(max((font.getlength(t) for t in names), default=0), 160)
    step = max(1, math.ceil(n * (widest + 16) / width))
    return (lambda v: where.get(cell_text(v))), [
        (where[t], _fit(t, font, 160)) for t in names[::step]
    ]


def _draw_series(
    draw: ImageDraw.ImageDraw,
    s: _Series,
    x_at: XAt,
    y_axis: _Axis,
    base: float,
    slot: tuple[int, int],
) -> None:
    opts = s.bound.series
    runs: list[list[tuple[float, float]]] = [[]]  # stretches without gaps
    for x_value, y_value in s.rows:
        x, y = x_at(x_value), _value(y_value)
        if x is None or y is None:
            runs.append([])
        else:
            runs[-1].append((x, y_axis.at(y)))
    points = [p for run in runs for p in run]
    if s.kind == "bar":
        k, n = slot
        xs = sorted({x for x, _ in points})
        gap = min((b - a for a, b in itertools.pairwise(xs)), default=200.0)
        width = max(4.0, gap * 0.8 / n)
        for x, y in points:
            x0 = x - width * n / 2 + width * k
            draw.rectangle((x0 + 1, min(y, base), x0 + width - 1, max(y, base)), fill=s.color)
        return
    if opts.marker:
        for x, y in points:
            draw.ellipse((x - 10, y - 10, x + 10, y + 10), fill=s.color, outline=TEXT, width=2)
        return
    runs = [r for r in runs if r]
    if opts.fill not in (None, False):
        for run in runs:
            shape = [(run[0][0], base), *run, (run[-1][0], base)]
            draw.polygon(shape, fill=(*s.color[:3], 51))  # the page's fill: 20% opacity
    if opts.show_line if opts.show_line is not None else s.kind == "line":
        width = max(1, round((opts.line_width if opts.line_width is not None else 3) * 1.4))
        dash = (12.0, 8.0) if opts.dashed is True else tuple(1.4 * d for d in opts.dashed or ())
        for run in runs:
            _polyline(draw, run, s.color, width, dash)
    radius = 1.5 * (opts.point_radius if opts.point_radius is not None else 3)
    if s.kind == "line" and opts.point_radius is None and len(s.rows) > 100:
        radius = 0  # as the page: dots would hide a long line
    if opts.point_style is not False and radius > 0:
        for x, y in points:
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=s.color)


def _polyline(
    draw: ImageDraw.ImageDraw,
    run: Sequence[tuple[float, float]],
    color: RGBA,
    width: int,
    dash: Sequence[float],
) -> None:
    if not any(dash):
        draw.line(list(run), fill=color, width=width, joint="curve")
        return
    k, left = 0, max(dash[0], 1.0)  # dash k (pen down when k is even) has `left` px to go
    for (x0, y0), (x1, y1) in itertools.pairwise(run):
        length, done = math.hypot(x1 - x0, y1 - y0), 0.0
        while done < length:
            step = min(left, length - done)
            if k % 2 == 0:
                ends = [
                    (x0 + t * (x1 - x0), y0 + t * (y1 - y0))
                    for t in (done / length, (done + step) / length)
                ]
                draw.line(ends, fill=color, width=width)
            done, left = done + step, left - step
            if left <= 1e-9:  # an odd pattern runs twice, as canvas setLineDash does
                k, left = k + 1, max(dash[(k + 1) % len(dash)], 1.0)


def _scale(
    values: Sequence[float], lo: float | None, hi: float | None, log: bool, count: int
) -> tuple[float, float, list[float]]:
    """An axis range (ends not set are rounded out to ticks) and the ticks inside it."""
    values = [v for v in values if v > 0] if log else values
    low = lo if lo is not None else min(values, default=1.0 if log else 0.0)
    high = hi if hi is not None else max(values, default=10.0 if log else 1.0)
    if log:
        low = low if low > 0 else high / 1000 if high > 0 else 1.0
    if high <= low:
        low, high = (low / 10, low * 10) if log else (low - 1, low + 1)
    if log:
        low = low if lo is not None else 10 ** math.floor(math.log10(low))
        high = high if hi is not None else 10 ** math.ceil(math.log10(high))
        first, last = math.ceil(math.log10(low) - 1e-9), math.floor(math.log10(high) + 1e-9)
        every = max(1, math.ceil((last - first + 1) / 8))
        return low, high, [10.0**e for e in range(first, last + 1, every)]
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if m * step >= raw * (1 - 1e-9))
    low = low if lo is not None else math.floor(low / step + 1e-9) * step
    high = high if hi is not None else math.ceil(high / step - 1e-9) * step
    first, last = math.ceil(low / step - 1e-9), math.floor(high / step + 1e-9)
    return low, high, [k * step for k in range(first, last + 1)]


def _number(v: float) -> str:
    """A tick label without float noise (0.30000000000000004 -> 0.3)."""
    return js_number(float(f"{v:.12g}") + 0.0)


def _axis_title(label: str | None, columns: Sequence[str]) -> str:
    return label if label is not None else ", ".join(dict.fromkeys(columns))


def _fit(text: str, font: Font, width: float) -> str:
    """``text`` in the font's letters, cut with an ellipsis to fit ``width`` pixels."""
    text = _plain(text)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "..."


def _plain(text: str) -> str:
    """Spelt with ASCII where the font has no glyph: β₁ -> beta1, é -> e, Δ -> Delta."""
    out = []
    for ch in unicodedata.normalize("NFKD", text):
        name = unicodedata.name(ch, "")
        if name.startswith("GREEK ") and " LETTER " in name:
            word = name.split()[-1].lower()  # "... FINAL SIGMA" -> sigma
            out.append(word.capitalize() if "CAPITAL" in name else word)
        elif not unicodedata.combining(ch):
            out.append(_ASCII.get(ch, ch))
    return "".join(out)


def _vertical_text(img: Image.Image, text: str, font: Font, centre: tuple[float, float]) -> None:
    """Text turned a quarter left, centred on ``centre`` (the y axis title)."""
    mask = Image.new("L", (int(font.getlength(text)) + 8, 40), 0)
    ImageDraw.Draw(mask).text((mask.width / 2, 20), text, fill=255, font=font, anchor="mm")
    mask = mask.rotate(90, expand=True)
    img.paste(TEXT, (int(centre[0] - mask.width / 2), int(centre[1] - mask.height / 2)), mask)
