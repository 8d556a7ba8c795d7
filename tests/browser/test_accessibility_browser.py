"""Accessibility: axe-core's WCAG 2.1 A and AA rules find nothing on the example site's pages.

Each page is audited in the light and in the dark colour scheme (the theme follows
``prefers-color-scheme``; it has no switch of its own), with Chart.js's animations finished and
every ``<details>`` open, so the audit sees what a reader sees after one click: the data tables too.

axe-core comes from npm (``node_modules/axe-core``, a devDependency) and is injected into the
served page; nothing loads from another host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import REPO_ROOT, BrowserLog

AXE = REPO_ROOT / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

LESSON = "posts/linear-regression-interactive/"  # code cells, charts, sliders, math
SEED = "posts/linear-regression/"  # the Jekyll post the project started from
PAGES = {
    "lesson": LESSON,
    "index": "",
    "tag": "tags/ml/",
    "search": "search/?q=regression",
    "seed": SEED,
    "notebook": "posts/least-squares-tutorial/",  # figures, form cells, a notebook's markdown
}

# The seed post's own empty links ([](url) in content/posts/linear-regression.md, lines 16, 35
# and 82; `lessonpress check` warns about each). The content is the author's, kept as it was
# written; these three nodes, for this one rule, are the only exception.
SEED_EMPTY_LINKS = [
    "https://github.com/NeuromatchAcademy/TA-applications#deep-learning-ta-application-video-instructions",
    "https://www.sydney.edu.au/content/dam/students/documents/mathematics-learning-centre/introduction-to-differential-calculus.pdf",
    "https://github.com/psymbio/learning_ml/tree/main/linear_regression",
]
ALLOWED: dict[str, dict[str, list[str]]] = {
    SEED: {"link-name": [f'.post-body a[href="{href}"]' for href in SEED_EMPTY_LINKS]},
}

# Everything that moves has stopped and every disclosure is open: the audit is deterministic.
SETTLE = """async () => {
  if (window.lessonpress && window.lessonpress.ready) await window.lessonpress.ready;
  if (window.Chart) {
    for (const chart of Object.values(Chart.instances)) {
      chart.options.animation = false;
      chart.stop();
      chart.update('none');
    }
  }
  for (const details of document.querySelectorAll('details')) details.open = true;
}"""

# Violations, less the allowed (rule, element) pairs; and how many nodes were allowed.
AUDIT = """async ({ tags, allowed }) => {
  const result = await axe.run(document, { runOnly: { type: 'tag', values: tags } });
  const isAllowed = (rule, node) => (allowed[rule] || []).some((selector) => {
    const element = node.target.length === 1 && typeof node.target[0] === 'string'
      ? document.querySelector(node.target[0]) : null;
    return element !== null && element.matches(selector);
  });
  let excused = 0;
  const violations = [];
  for (const v of result.violations) {
    const nodes = v.nodes.filter((node) => !isAllowed(v.id, node));
    excused += v.nodes.length - nodes.length;
    if (nodes.length) {
      violations.push({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        targets: nodes.map((node) => node.target.flat().join(' ')),
      });
    }
  }
  return { version: axe.version, violations, excused };
}"""


def _report(path: str, scheme: str, version: str, violations: Sequence[Mapping[str, Any]]) -> str:
    count = sum(len(v["targets"]) for v in violations)
    lines = [f"axe-core {version}: {count} WCAG 2.1 A/AA violation(s) on /{path} ({scheme}):"]
    for v in violations:
        lines.append(f"  {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        lines += [f"    {target}" for target in v["targets"]]
    return "\n".join(lines)


@pytest.fixture
def audit(
    page: Any, example_site: Path, serve_dir: Callable[..., str], browser_log: BrowserLog
) -> Callable[[str, str], dict[str, Any]]:
    """``audit(path, scheme)`` -> axe's verdict on one page of the example site:
    ``{"version", "violations", "excused"}`` (violations less the ALLOWED nodes)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(REPO_ROOT)} is missing: run `npm ci` (or `make deps`)")
    base = serve_dir(example_site)

    def run(path: str, scheme: str) -> dict[str, Any]:
        page.emulate_media(color_scheme=scheme)
        page.goto(base + path, wait_until="load")
        if path.startswith("search/"):
            page.locator("#lp-search-results a.search-result-link").first.wait_for()
        page.evaluate(SETTLE)
        page.add_script_tag(path=str(AXE))
        result: dict[str, Any] = page.evaluate(
            AUDIT, {"tags": WCAG_TAGS, "allowed": ALLOWED.get(path, {})}
        )
        browser_log.assert_clean()
        return result

    return run


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_wcag_violations(
    audit: Callable[[str, str], dict[str, Any]], name: str, scheme: str
) -> None:
    path = PAGES[name]
    result = audit(path, scheme)
    if result["violations"]:
        pytest.fail(_report(path, scheme, result["version"], result["violations"]), pytrace=False)
    expected = sum(len(selectors) for selectors in ALLOWED.get(path, {}).values())
    # Once the seed post's links have text, its entry in ALLOWED must go.
    assert result["excused"] == expected, f"excused {result['excused']} node(s), not {expected}"


def test_dark_scheme_reaches_the_theme(
    page: Any, example_site: Path, serve_dir: Callable[..., str]
) -> None:
    # Otherwise the dark runs would audit the light colours again and prove nothing.
    base = serve_dir(example_site)
    backgrounds = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        page.goto(base + LESSON, wait_until="load")
        backgrounds.append(page.evaluate("() => getComputedStyle(document.body).backgroundColor"))
    assert backgrounds[0] != backgrounds[1], backgrounds
