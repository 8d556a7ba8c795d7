"""A Jekyll lesson blog builds unchanged: `lessonpress build --source` on tests/fixtures/jekyll_blog.

The fixture is copied to tmp_path and built once per module with the real CLI (a subprocess);
the tests read the output folder like a reader would. The blog's _config.yml sets
``permalink: /:categories/:year/:month/:day/:title/``, ``baseurl: /lessons`` and
``url: https://notes.example.org``.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.render.markdown import EXTENSION_CONFIGS, EXTENSIONS
from generator.render.prepasses import legacy_chart_warnings, normalise_list_indent
from tests.helpers import REPO_ROOT, build_site

FIXTURE = REPO_ROOT / "tests" / "fixtures" / "jekyll_blog"
ORIGIN = "https://notes.example.org/lessons"
DIAGNOSTIC = re.compile(
    r"^(?P<path>[^\s:]+)(?::(?P<line>\d+))?: (?P<warning>warning: )?(?P<msg>.*)$"
)


@dataclass(frozen=True)
class Site:
    out: Path
    stderr: str

    def page(self, url: str) -> str:
        """The HTML served at a site URL such as "/posts/2021/03/14/linear-regression/"."""
        return (self.out / url.strip("/") / "index.html").read_text(encoding="utf-8")

    def html_files(self) -> dict[str, str]:
        return {
            p.relative_to(self.out).as_posix(): p.read_text(encoding="utf-8")
            for p in sorted(self.out.rglob("*.html"))
        }

    def diagnostics(self) -> list[tuple[str, int, bool, str]]:
        found = []
        for line in self.stderr.splitlines():
            match = DIAGNOSTIC.match(line)
            if match:
                found.append(
                    (
                        match["path"],
                        int(match["line"] or 0),
                        bool(match["warning"]),
                        match["msg"],
                    )
                )
        return found


def _build(tmp: Path, *args: str) -> Site:
    source = tmp / "blog"
    shutil.copytree(FIXTURE, source)
    out = tmp / "out"
    result = build_site(source, out, *args)
    assert result.returncode == 0, result.stderr
    return Site(out, result.stderr)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return _build(tmp_path_factory.mktemp("jekyll"))


@pytest.fixture(scope="module")
def site_with_drafts(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return _build(tmp_path_factory.mktemp("jekyll-drafts"), "--drafts")


def _body(page: str) -> str:
    match = re.search(r'<div class="post-body">(.*?)</article>', page, re.S)
    assert match, "page has no post body"
    return match.group(1)


# -- the build as a whole ------------------------------------------------------------------


def test_builds_with_only_the_expected_warnings(site: Site) -> None:
    found = site.diagnostics()
    assert not [d for d in found if not d[2]], site.stderr
    skipped = sorted(d[0] for d in found if d[3].startswith("skipped: no front matter"))
    assert skipped == [
        "_posts/2022/deep-learning/2022-03-01-backprop-derivation.md",
        "_posts/2022/notes-to-self.md",
        "_posts/README.md",
    ]
    others = [d for d in found if not d[3].startswith("skipped:")]
    assert len(others) == 1, site.stderr
    path, line, _, message = others[0]
    assert (path, line) == ("_posts/2021-08-15-chartjs-legacy-scales.md", 25)
    assert "'xAxes' and 'yAxes'" in message and "Chart.js 4" in message


def test_every_post_is_at_its_jekyll_permalink(site: Site) -> None:
    # category "posts" (or [ml, maths]...) + date from the file name or front matter + title
    expected = [
        "/posts/2021/03/14/linear-regression/",
        "/ml/optimisation/2021/03/21/gradient-descent/",
        "/posts/2021/04/02/logistic-regression/",
        "/ml/2021/04/20/bias-variance/",
        "/statistics/2021/05/10/normal-distribution/",
        "/posts/2021/05/17/maximum-likelihood/",
        "/statistics/probability/2021/06/01/bayes-theorem/",
        "/posts/2021/07/04/pytorch-autograd/",
        "/posts/2021/08/15/chartjs-legacy-scales/",
        "/ml/maths/2022/01/10/matrix-calculus/",
        "/posts/2022/02/14/k-means/",
        "/deep-learning/2022/03/01/neural-networks/",
        "/statistics/2022/05/20/probability-cheatsheet/",
        "/deep-learning/2022/06/11/softmax/",
        "/statistics/deep-learning/2022/08/09/information-theory/",
        "/ml/maths/2022/09/12/pca/",
        "/about/",  # a page with its own permalink
    ]
    for url in expected:
        assert (site.out / url.strip("/") / "index.html").is_file(), url
    sitemap = (site.out / "sitemap.xml").read_text(encoding="utf-8")
    for url in expected:
        assert f"<loc>{ORIGIN}{url}</loc>" in sitemap, url
    home = (site.out / "index.html").read_text(encoding="utf-8")
    assert 'href="posts/2021/03/14/linear-regression/"' in home
    assert "<title>Notes on Learning Machines" in home


def test_a_post_with_layout_page_keeps_its_dated_permalink(site: Site) -> None:
    assert (site.out / "posts/2022/07/01/about-this-series/index.html").is_file()


def test_drafts_and_unpublished_posts_are_left_out(site: Site) -> None:
    everything = "\n".join(site.html_files().values())
    assert "Regularization (unfinished)" not in everything  # published: false
    assert "Attention (draft)" not in everything  # _drafts/
    assert "Ideas for future lessons" not in everything  # no front matter


def test_drafts_are_built_with_the_drafts_flag(site_with_drafts: Site) -> None:
    pages = site_with_drafts.html_files()
    drafts = [rel for rel, text in pages.items() if "<h1>Attention (draft)</h1>" in text]
    assert drafts, "the _drafts/ post is missing with --drafts"
    assert "<math" in pages[drafts[0]]


# -- Liquid ------------------------------------------------------------------------------


def test_includes_are_rendered(site: Site) -> None:
    logistic = _body(site.page("/posts/2021/04/02/logistic-regression/"))
    assert '<div class="note">' in logistic
    assert "<strong>Note:</strong> Maximising the log-likelihood" in logistic
    mle = _body(site.page("/posts/2021/05/17/maximum-likelihood/"))
    assert "<strong>Definition (expectation).</strong>" in mle  # _includes/definition.md
    assert "TODO: add the variance derivation" not in mle  # {% comment %}
    network = _body(site.page("/deep-learning/2022/03/01/neural-networks/"))
    assert 'class="series-nav"' in network  # {% include series-nav.html %}
    assert "the backward pass costs about as much" in network  # {% include_relative %}
    assert 'in the series "Neural Networks: The Forward Pass"' in network


def test_page_and_site_variables_are_filled_in(site: Site) -> None:
    about = _body(site.page("/about/"))
    assert "Email: priya@example.org." in about
    # A _posts/ file with layout: page (its URL is the subject of the test above).
    series = next(t for t in site.html_files().values() if "<h1>About This Series</h1>" in t)
    series_body = _body(series)
    assert "<strong>About This Series</strong> is a short guide" in series_body
    assert "<code>/lessons/assets/img/cover.png</code>" in series_body
    assert "last reviewed on July 2022" in series_body


def test_highlight_blocks_are_highlighted_by_pygments(site: Site) -> None:
    autograd = _body(site.page("/posts/2021/07/04/pytorch-autograd/"))
    assert '<div class="highlight">' in autograd
    assert re.search(
        r'<span class="kn">import</span>(<span class="w"> </span>| )<span class="nn">torch',
        autograd,
    )
    assert "linenos" in autograd  # {% highlight python linenos %}
    entropy = _body(site.page("/statistics/deep-learning/2022/08/09/information-theory/"))
    assert '<span class="o">&lt;-</span>' in entropy  # {% highlight r %}


def test_no_liquid_is_left_except_raw_blocks(site: Site) -> None:
    for rel, text in site.html_files().items():
        if rel == "posts/2021/07/04/pytorch-autograd/index.html":
            continue
        assert "{%" not in text and "{{" not in text, rel
    autograd = _body(site.page("/posts/2021/07/04/pytorch-autograd/"))
    shown = html.unescape(re.sub(r"<[^>]+>", "", autograd))
    assert "{{ lesson.title }}" in shown and "{% for cell in lesson.cells %}" in shown
    assert "<code>{{ variable }}</code>" in autograd
    assert "{% raw %}" not in autograd


def test_jekyll_layouts_map_to_templates(site: Site) -> None:
    assert '<article class="post">' in site.page("/deep-learning/2022/03/01/neural-networks/")
    assert '<article class="post">' in site.page("/posts/2021/03/14/linear-regression/")
    assert '<article class="page">' in site.page("/about/")


# -- math --------------------------------------------------------------------------------


def test_math_is_mathml_without_errors(site: Site) -> None:
    pages = site.html_files()
    posts = [t for rel, t in pages.items() if "/20" in f"/{rel}" and "post-body" in t]
    assert len(posts) >= 15
    for rel, text in pages.items():
        assert "<merror" not in text, rel
        assert "math-source" not in text, rel  # LaTeX we could not render
        assert not re.search(r"LP[A-Z]+\d+X", text), rel  # a placeholder left behind
    for url in ("/ml/maths/2022/01/10/matrix-calculus/", "/posts/2022/02/14/k-means/"):
        body = _body(site.page(url))
        assert '<div class="math-display"><math display="block">' in body
        assert "$$" not in body


def test_dollar_amounts_and_code_stay_text(site: Site) -> None:
    bayes = _body(site.page("/statistics/probability/2021/06/01/bayes-theorem/"))
    assert "costs $5 and a follow-up visit costs $10" in bayes
    assert "US dollars: $5 and $10" in bayes
    assert "<code>echo $HOME</code>" in bayes


def test_headings_with_math_have_clean_ids_and_toc(site: Site) -> None:
    body = _body(site.page("/ml/2021/04/20/bias-variance/"))
    assert '<h2 id="the-λ-knob">The <math display="inline">' in body
    assert '<h2 id="where-the-error-of-f-comes-from">' in body
    index = (site.out / "search-index.json").read_text(encoding="utf-8")
    assert "the-λ-knob" in index and "LPMATH" not in index


def test_list_items_keep_two_space_indented_blocks(site: Site) -> None:
    body = _body(site.page("/ml/2021/04/20/bias-variance/"))
    items = re.findall(r"<li>(.*?)</li>", body, re.S)
    variance = next(i for i in items if "<strong>Variance</strong>" in i)
    assert "<p>It shrinks with more data" in variance
    assert '<div class="math-display">' in variance
    large = next(i for i in items if "high bias, low variance" in i)
    assert '<div class="highlight">' in large and "<p>In code, the knob" in large
    assert "<li>The fit follows the noise.</li>" in body  # nested two spaces in
    normal = _body(site.page("/statistics/2021/05/10/normal-distribution/"))
    item = re.search(r"<li>\s*<p>The sum of independent normals.*?</li>", normal, re.S)
    assert item and '<div class="math-display">' in item.group(0)


# -- the passes on their own -------------------------------------------------------------


def test_chart_js_2_warning_names_file_and_line() -> None:
    text = "Intro\n\n<script>\nnew Chart(c, {options: {scales: {\n  yAxes: [{}]}}});\n</script>\n"
    found = legacy_chart_warnings(text, path="_posts/a.md", first_line=5)
    assert [str(d) for d in found] == [
        "_posts/a.md:9: warning: Chart.js 2 scale options 'yAxes' are invalid in Chart.js 4, "
        "which this site uses (the axes lose their settings): "
        "write options.scales as { x: {...}, y: {...} }"
    ]
    bar = "<script>new Chart(c, {type: 'horizontalBar'})</script>"
    assert "indexAxis" in legacy_chart_warnings(bar, path="a.md", first_line=1)[0].message


def test_chart_js_2_code_shown_as_code_is_not_a_warning() -> None:
    text = (
        "```html\n<script>new Chart(c, {options: {scales: {xAxes: []}}})</script>\n```\n\n"
        "{% highlight js %}\n<script>xAxes: []</script>\n{% endhighlight %}\n\n"
        "<!-- <script>xAxes: []</script> -->\n"
        '<script src="x.js"></script>\n'
        "<script>new Chart(c, {options: {scales: {x: {}}}})</script>\n"
    )
    assert legacy_chart_warnings(text, path="a.md", first_line=1) == []


def _markdown(text: str) -> str:
    import markdown

    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    return md.convert(normalise_list_indent(text))


def test_list_continuation_after_a_blank_line_stays_in_the_item() -> None:
    html = _markdown("1. first\n\n   more of first\n\n2. second\n")
    assert re.search(r"<li>\s*<p>first</p>\s*<p>more of first</p>\s*</li>", html)
    assert html.count("<ol>") == 1


def test_nested_blocks_end_before_the_next_item() -> None:
    html = _markdown("- a\n  - b\n\n    para of b\n- c\n")
    assert "<p>para of b</p>" in html and re.search(r"<li>\s*<p>c</p>", html)
    html = _markdown("- code:\n\n  ```python\n  x = 1\n  ```\n- after\n")
    assert '<div class="highlight">' in html and "<p>after</p>" in html


def test_list_indentation_leaves_other_markdown_alone() -> None:
    text = "Para.\n\n    indented code\n    - not a list\n\n<script>\n/**\n * doc\n */\n</script>\n"
    assert normalise_list_indent(text) == text
    four_spaces = "* A\n* B\n    * nested\n        * deeper\n\n* * *\n"
    assert normalise_list_indent(four_spaces) == four_spaces
