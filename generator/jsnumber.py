"""Numbers as text, the way the reader's browser writes them (JavaScript's ``String(x)``).

Every number the site publishes -- dataset downloads (JSON and CSV), chart data tables,
readouts -- goes through :func:`js_number`, so a post's JSON, its CSV and the table on
the page show the same digits (``100``, not ``100.0``; ``0.00001``, not ``1e-05``), and so
does ``static/js/lessonpress-charts.js`` when it rebuilds a table. Base module.
"""

from __future__ import annotations

from decimal import Decimal

from generator.model import Scalar


def js_number(v: float | int) -> str:
    """``String(v)`` as JavaScript writes it (shortest round-trip digits)."""
    if isinstance(v, int):
        return str(v) if abs(v) < 10**21 else js_number(float(v))
    if v == 0:
        return "0"
    text = repr(v)
    if "e" not in text:  # Python and JavaScript agree but for the ".0" of whole numbers
        return text[:-2] if text.endswith(".0") else text
    return _js_exponent(v)


def _js_exponent(v: float) -> str:
    """Where Python writes an exponent: JavaScript does only below 1e-6 and from 1e21."""
    if v == 0:
        return "0"
    sign = "-" if v < 0 else ""
    t = Decimal(repr(abs(v))).normalize().as_tuple()
    digits = "".join(map(str, t.digits))
    k, n = len(digits), len(digits) + int(t.exponent)
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e > 0 else '-'}{abs(e)}"


def cell_text(v: Scalar) -> str:
    """How a value appears in a table cell or a CSV field."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return js_number(v)
    return v
