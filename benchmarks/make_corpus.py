#!/usr/bin/env python3
"""Deterministic corpus generator for static-site-generator benchmarks.

A copy of the workplace's shared generator (``shared/bench/make_corpus.py``), kept here so
the benchmarks run from any clone; same options, same bytes.

Writes N Markdown "lesson" posts (default 1000). Each post has YAML front
matter (title, date, tags, category, order) and a ~1,200-word body with
headings, paragraphs with emphasis/links/inline code, a bullet list, a table,
a ~15-line fenced Python block, one inline $...$ and one display $$...$$ math
snippet (left as plain text).

Post i is generated from random.Random(SEED * 1_000_003 + i) only, so the
first 100 posts of an N=1000 corpus are byte-identical to an N=100 corpus, and
every run gives the same bytes (stdlib only, no hash randomisation involved).

Layouts written under OUT (``--peers``, default all):
  src/                       canonical: <slug>.md with YAML front matter
  jekyll/                    `jekyll new`-equivalent site (minima + jekyll-feed)
                             _posts/YYYY-MM-DD-<slug>.md  (+ layout: post)
  hugo/                      config.yaml, minimal layouts, content/posts/<slug>.md
                             (+ categories: [<category>] for the default taxonomy)
  mkdocs/                    mkdocs.yml (default theme), docs/index.md, docs/posts/<slug>.md
  pelican/                   pelicanconf.py (pelican-quickstart defaults),
                             content/<slug>.md with Pelican "Key: value" metadata
  eleventy/                  posts/<slug>.md, posts/posts.json (layout + "post" tag),
                             _includes/*.njk, index.njk (no config file)

Bodies are identical across peers; only the front-matter block differs where a
peer needs it. Bodies never contain "{{", "}}", "{%" or "%}" (Liquid/Hugo/Nunjucks
safe).

Usage: python3 make_corpus.py --n 1000 --out sites/n1000 [--peers src,jekyll,...]
"""

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil

SEED = 20240607
START_DATE = dt.date(2018, 1, 1)
TARGET_WORDS = 1200

CATEGORIES = [
    "fundamentals",
    "data-structures",
    "algorithms",
    "testing",
    "performance",
    "web",
    "tooling",
    "numerics",
]
TAGS = [
    "python",
    "loops",
    "functions",
    "classes",
    "generators",
    "iterators",
    "decorators",
    "closures",
    "typing",
    "dataclasses",
    "asyncio",
    "threads",
    "files",
    "json",
    "csv",
    "regex",
    "strings",
    "unicode",
    "dicts",
    "sets",
    "lists",
    "tuples",
    "sorting",
    "searching",
    "recursion",
    "complexity",
    "pytest",
    "mocking",
    "profiling",
    "caching",
    "packaging",
    "venv",
    "cli",
    "logging",
    "http",
    "sql",
    "numpy",
    "statistics",
    "geometry",
    "matrices",
]
TOPICS = [
    "List Comprehensions",
    "Dictionary Views",
    "Generator Pipelines",
    "Context Managers",
    "Binary Search",
    "Merge Sort",
    "Hash Tables",
    "Recursion and the Call Stack",
    "Unit Testing with pytest",
    "Mocking External Services",
    "Profiling Hot Loops",
    "Memoisation",
    "Reading CSV Files",
    "Parsing JSON Safely",
    "Regular Expressions",
    "Unicode Normalisation",
    "Dataclasses",
    "Type Hints",
    "Async Functions",
    "Thread Pools",
    "Command-Line Interfaces",
    "Structured Logging",
    "HTTP Clients",
    "SQL Queries from Python",
    "Vectorised Arithmetic",
    "Descriptive Statistics",
    "Linear Regression",
    "Matrix Multiplication",
    "Graph Traversal",
    "Priority Queues",
    "String Formatting",
    "Closures and Scope",
    "Decorators",
    "Iterators and Iterables",
    "Packaging a Library",
    "Virtual Environments",
]
ASPECTS = [
    "A First Look",
    "Common Pitfalls",
    "Worked Examples",
    "Under the Hood",
    "Best Practices",
    "Edge Cases",
    "A Practical Exercise",
    "Review",
    "Performance Notes",
    "Going Further",
]
SECTION_HEADS = [
    "Why It Matters",
    "The Core Idea",
    "A Closer Look",
    "Putting It Together",
    "Common Mistakes",
    "Thinking About Cost",
    "Reading the Code",
    "Testing Your Understanding",
    "A Second Example",
    "Design Trade-offs",
    "Historical Notes",
    "Where This Shows Up",
]

NOUNS = [
    "function",
    "loop",
    "list",
    "dictionary",
    "iterator",
    "generator",
    "variable",
    "module",
    "test",
    "interpreter",
    "value",
    "argument",
    "exception",
    "object",
    "class",
    "method",
    "algorithm",
    "input",
    "result",
    "index",
    "key",
    "buffer",
    "string",
    "file",
    "record",
    "query",
    "cache",
    "process",
    "thread",
    "program",
    "pattern",
    "sequence",
    "counter",
    "parameter",
    "structure",
    "table",
    "array",
]
ADJS = [
    "small",
    "simple",
    "careful",
    "efficient",
    "readable",
    "mutable",
    "immutable",
    "explicit",
    "implicit",
    "lazy",
    "eager",
    "nested",
    "shallow",
    "deep",
    "common",
    "subtle",
    "robust",
    "fragile",
    "typical",
    "concise",
    "verbose",
    "predictable",
    "surprising",
    "linear",
    "constant",
]
VERBS = [
    "returns",
    "stores",
    "reads",
    "transforms",
    "filters",
    "checks",
    "builds",
    "replaces",
    "iterates over",
    "collects",
    "produces",
    "consumes",
    "validates",
    "sorts",
    "groups",
    "counts",
    "caches",
    "raises",
    "wraps",
    "combines",
]
ADVS = [
    "quickly",
    "carefully",
    "often",
    "rarely",
    "usually",
    "clearly",
    "safely",
    "lazily",
    "eagerly",
    "naturally",
    "gradually",
    "directly",
]
STUDENT = [
    "you",
    "a beginner",
    "the reader",
    "a new programmer",
    "most students",
    "an experienced developer",
    "the learner",
    "your team",
]
LINKS = [
    ("the official tutorial", "https://docs.python.org/3/tutorial/index.html"),
    ("the language reference", "https://docs.python.org/3/reference/index.html"),
    ("the standard library docs", "https://docs.python.org/3/library/index.html"),
    ("PEP 8", "https://peps.python.org/pep-0008/"),
    ("PEP 20", "https://peps.python.org/pep-0020/"),
    ("the pytest documentation", "https://docs.pytest.org/en/stable/"),
    ("the itertools module", "https://docs.python.org/3/library/itertools.html"),
    ("the functools module", "https://docs.python.org/3/library/functools.html"),
    ("the timeit module", "https://docs.python.org/3/library/timeit.html"),
    ("the collections module", "https://docs.python.org/3/library/collections.html"),
    ("Wikipedia's article on big O notation", "https://en.wikipedia.org/wiki/Big_O_notation"),
    ("the NumPy user guide", "https://numpy.org/doc/stable/user/index.html"),
]
INLINE_MATH = [
    r"$O(n \log n)$",
    r"$O(n^2)$",
    r"$\alpha = 0.05$",
    r"$f(x) = 3x^2 + 2x + 1$",
    r"$\mu = \frac{1}{n} \sum x_i$",
    r"$a^2 + b^2 = c^2$",
    r"$T(n) = 2T(n/2) + n$",
    r"$\sigma^2$",
    r"$e^{i \pi} + 1 = 0$",
    r"$\lambda_{max}$",
]
DISPLAY_MATH = [
    r"\sum_{i=1}^{n} i = \frac{n(n+1)}{2}",
    r"\bar{x} = \frac{1}{n} \sum_{i=1}^{n} x_i",
    r"T(n) = 2\,T\left(\frac{n}{2}\right) + c\,n",
    r"\hat{\beta} = (X^\top X)^{-1} X^\top y",
    r"P(A \mid B) = \frac{P(B \mid A)\,P(A)}{P(B)}",
    r"\sigma = \sqrt{\frac{1}{n-1} \sum_{i=1}^{n} (x_i - \bar{x})^2}",
    r"C_{ij} = \sum_{k=1}^{m} A_{ik} B_{kj}",
    r"\lim_{n \to \infty} \left(1 + \frac{1}{n}\right)^n = e",
]


def slugify(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def words(text):
    return len(re.findall(r"[A-Za-z0-9']+", text))


class Post:
    def __init__(self, i):
        self.i = i
        r = random.Random(SEED * 1_000_003 + i)
        self.r = r
        topic = r.choice(TOPICS)
        aspect = r.choice(ASPECTS)
        self.topic = topic
        self.title = f"{topic}: {aspect} (Lesson {i + 1})"
        self.slug = f"{slugify(topic)}-{slugify(aspect)}-{i + 1:04d}"
        self.date = START_DATE + dt.timedelta(days=i)
        self.category = r.choice(CATEGORIES)
        self.tags = sorted(r.sample(TAGS, r.randint(3, 5)))
        self.order = i + 1
        self.body = self._body()

    # -- text helpers ------------------------------------------------------
    def sentence(self, decorate=True):
        r = self.r
        pats = [
            "The {adj} {noun} {verb} each {noun2} before the {noun3} is used.",
            "When {who} writes a {adj} {noun}, the {noun2} {adv} {verb} the {noun3}.",
            "A {noun} that {verb} a {adj} {noun2} is easier to reason about.",
            "In practice, the {noun} {adv} {verb} every {noun2} in the {noun3}.",
            "Notice how the {adj} {noun} never {verb} the original {noun2}.",
            "It is tempting to write a {adj2} {noun}, but a {adj} one {verb} the {noun2} {adv}.",
            "{Who} should remember that each {noun} {verb} a new {noun2}.",
            "This is why the {noun} is {adj} and the {noun2} stays {adj2}.",
            "If the {noun} grows, the {adj} {noun2} still {verb} the {noun3} {adv}.",
            "Compare this with a {adj2} {noun}, which {verb} the {noun2} twice.",
            "The interpreter {adv} {verb} the {noun} when the {noun2} changes.",
            "Try to predict what the {noun} {verb} before running the {noun2}.",
        ]
        who = r.choice(STUDENT)
        s = r.choice(pats).format(
            adj=r.choice(ADJS),
            adj2=r.choice(ADJS),
            noun=r.choice(NOUNS),
            noun2=r.choice(NOUNS),
            noun3=r.choice(NOUNS),
            verb=r.choice(VERBS),
            adv=r.choice(ADVS),
            who=who,
            Who=who[0].upper() + who[1:],
        )
        if decorate:
            k = r.random()
            ws = s.split(" ")
            if k < 0.18 and len(ws) > 4:
                j = r.randrange(1, len(ws) - 2)
                ws[j] = f"*{ws[j]}*"
            elif k < 0.30 and len(ws) > 4:
                j = r.randrange(1, len(ws) - 2)
                ws[j] = f"**{ws[j]}**"
            elif k < 0.40:
                ws.insert(r.randrange(1, len(ws)), f"`{r.choice(NOUNS)}_{r.randint(1, 9)}`")
            s = " ".join(ws)
        return s

    def paragraph(self, n=None, link=False, math=False):
        r = self.r
        n = n or r.randint(4, 7)
        sents = [self.sentence() for _ in range(n)]
        if link:
            text, url = r.choice(LINKS)
            sents.insert(r.randrange(0, len(sents) + 1), f"For more detail, see [{text}]({url}).")
        if math:
            m = r.choice(INLINE_MATH)
            sents.insert(
                r.randrange(0, len(sents) + 1),
                f"The cost here is roughly {m}, which matters once the input is large.",
            )
        return " ".join(sents)

    def bullets(self):
        r = self.r
        items = []
        for _ in range(r.randint(5, 7)):
            items.append(f"- **{r.choice(NOUNS).capitalize()}**: {self.sentence(decorate=False)}")
        return "\n".join(items)

    def table(self):
        r = self.r
        rows = ["| Approach | Time | Memory | Notes |", "|----------|------|--------|-------|"]
        for _ in range(r.randint(4, 6)):
            rows.append(
                f"| {r.choice(ADJS)} {r.choice(NOUNS)} | "
                f"{r.choice(['O(1)', 'O(log n)', 'O(n)', 'O(n log n)', 'O(n^2)'])} | "
                f"{r.randint(1, 512)} KB | {r.choice(ADJS)}, {r.choice(ADVS)} {r.choice(VERBS)} |"
            )
        return "\n".join(rows)

    def code(self):
        r = self.r
        fn = f"{r.choice(VERBS).split()[0]}_{r.choice(NOUNS)}s"
        a, b = r.choice(NOUNS), r.choice(NOUNS)
        if a == b:
            b = b + "_2"
        lim = r.randint(3, 50)
        lines = [
            "from collections import defaultdict",
            "from typing import Iterable",
            "",
            "",
            f"def {fn}({a}s: Iterable[str], limit: int = {lim}) -> dict[str, int]:",
            f'    """Count {a}s, keeping at most {lim} distinct keys."""',
            "    counts: dict[str, int] = defaultdict(int)",
            f"    for {a} in {a}s:",
            f"        key = {a}.strip().lower()",
            "        if not key or key.startswith('#'):",
            "            continue",
            "        if key in counts or len(counts) < limit:",
            "            counts[key] += 1",
            "    return dict(counts)",
            "",
            "",
            f"{b}s = ['alpha', 'Beta ', '# note', 'alpha', 'gamma', 'beta']",
            f"print({fn}({b}s, limit={r.randint(2, 5)}))",
        ]
        return "```python\n" + "\n".join(lines) + "\n```"

    def _body(self):
        r = self.r
        out = []
        out.append(self.paragraph(link=True))
        out.append(self.paragraph())
        heads = r.sample(SECTION_HEADS, 7)
        out.append(f"## {heads[0]}")
        out.append(self.paragraph(link=True, math=True))
        out.append(self.paragraph())
        out.append(f"## {heads[1]}")
        out.append(self.paragraph(n=3))
        out.append(self.bullets())
        out.append(self.paragraph())
        out.append(f"## {heads[2]}")
        out.append(self.paragraph(n=3))
        out.append(self.code())
        out.append(self.paragraph(link=True))
        out.append(f"### {heads[3]}")
        out.append(self.paragraph(n=3))
        out.append("$$\n" + r.choice(DISPLAY_MATH) + "\n$$")
        out.append(self.paragraph())
        out.append(f"## {heads[4]}")
        out.append(self.paragraph(n=2))
        out.append(self.table())
        out.append(self.paragraph())
        # Fill with further sections until ~TARGET_WORDS words.
        tail_heads = [heads[5], heads[6]]
        h = 0
        while words("\n\n".join(out)) < TARGET_WORDS - 90:
            if h < len(tail_heads) and r.random() < 0.5:
                out.append(f"### {tail_heads[h]}")
                h += 1
            out.append(self.paragraph(link=r.random() < 0.3))
        out.append("## Summary")
        out.append(self.paragraph(n=r.randint(3, 5)))
        body = "\n\n".join(out) + "\n"
        for bad in ("{{", "}}", "{%", "%}"):
            assert bad not in body, (self.i, bad)
        return body

    # -- front matter variants ----------------------------------------------
    def yaml_fm(self, extra=()):
        lines = [
            "---",
            f"title: {json.dumps(self.title)}",
            f"date: {self.date.isoformat()}",
            f"tags: [{', '.join(self.tags)}]",
            f"category: {self.category}",
            f"order: {self.order}",
        ]
        lines += list(extra)
        lines.append("---")
        return "\n".join(lines) + "\n\n"

    def pelican_fm(self):
        return (
            f"Title: {self.title}\n"
            f"Date: {self.date.isoformat()}\n"
            f"Tags: {', '.join(self.tags)}\n"
            f"Category: {self.category}\n"
            f"Order: {self.order}\n"
            f"Slug: {self.slug}\n\n"
        )


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


# ---------------------------------------------------------------- peer sites
JEKYLL_CONFIG = """title: Bench Lessons
email: bench@example.com
description: >- # this means to ignore newlines until "baseurl:"
  Benchmark corpus of generated lessons.
baseurl: "" # the subpath of your site, e.g. /blog
url: "" # the base hostname & protocol for your site, e.g. http://example.com
twitter_username: jekyllrb
github_username:  jekyll
theme: minima
plugins:
  - jekyll-feed
"""
JEKYLL_INDEX = "---\nlayout: home\n---\n"
JEKYLL_ABOUT = (
    "---\nlayout: page\ntitle: About\npermalink: /about/\n---\n\nThis is the base Jekyll theme.\n"
)
JEKYLL_404 = """---
permalink: /404.html
layout: default
---

<div class="container">
  <h1>404</h1>
  <p><strong>Page not found :(</strong></p>
</div>
"""

HUGO_CONFIG = """baseURL: "https://example.org/"
languageCode: en-us
title: Bench Lessons
"""
HUGO_BASEOF = """<!DOCTYPE html>
<html lang="{{ .Site.LanguageCode }}">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ .Site.Title }}</title></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ .Site.Title }}</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
"""
HUGO_SINGLE = """{{ define "main" }}
<article>
<h1>{{ .Title }}</h1>
<p><time>{{ .Date.Format "2006-01-02" }}</time>
{{ range .Params.tags }}<a href="{{ "tags/" | relURL }}{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>
{{ .Content }}
</article>
{{ end }}
"""
HUGO_LIST = """{{ define "main" }}
<h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ end }}
"""
HUGO_INDEX = """{{ define "main" }}
<ul>{{ range .Site.RegularPages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}</ul>
{{ end }}
"""

MKDOCS_CONFIG = "site_name: Bench Lessons\n"
MKDOCS_INDEX = "# Bench Lessons\n\nGenerated lessons for benchmarking.\n"

PELICAN_CONF = """AUTHOR = 'Bench'
SITENAME = 'Bench Lessons'
SITEURL = ''

PATH = 'content'

TIMEZONE = 'UTC'

DEFAULT_LANG = 'en'

# Feed generation is usually not desired when developing
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None

# Blogroll
LINKS = (('Pelican', 'https://getpelican.com/'),
         ('Python.org', 'https://www.python.org/'),
         ('Jinja2', 'https://palletsprojects.com/p/jinja/'),
         ('You can modify those links in your config file', '#'),)

# Social widget
SOCIAL = (('You can add links in your config file', '#'),
          ('Another social link', '#'),)

DEFAULT_PAGINATION = 10

# Uncomment following line if you want document-relative URLs when developing
#RELATIVE_URLS = True
"""
# Variant used only for the "incremental" column: Pelican's content cache on.
PELICAN_CONF_CACHE = (
    PELICAN_CONF
    + """
# Bench variant (incremental column only): Pelican's content cache on.
CACHE_CONTENT = True
LOAD_CONTENT_CACHE = True
CACHE_PATH = 'cache'
"""
)

ELEVENTY_POSTS_JSON = '{\n  "layout": "post.njk",\n  "tags": ["post"]\n}\n'
ELEVENTY_BASE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }} | Bench Lessons</title></head>
<body>
<header><a href="/">Bench Lessons</a></header>
<main>{{ content | safe }}</main>
</body>
</html>
"""
ELEVENTY_POST = """---
layout: base.njk
---
<article>
<h1>{{ title }}</h1>
<p><time>{{ page.date.toISOString().slice(0, 10) }}</time> {% for t in tags %}{{ t }} {% endfor %}</p>
{{ content | safe }}
</article>
"""
ELEVENTY_INDEX = """---
layout: base.njk
title: Home
---
<ul>
{%- for post in collections.post | reverse %}
<li><a href="{{ post.url }}">{{ post.data.title }}</a> {{ post.date.toISOString().slice(0, 10) }}</li>
{%- endfor %}
</ul>
"""

ALL_PEERS = ["src", "jekyll", "hugo", "mkdocs", "pelican", "eleventy"]


def build(n, out, peers):
    posts = [Post(i) for i in range(n)]
    for p in peers:
        d = os.path.join(out, p)
        if os.path.isdir(d):
            shutil.rmtree(d)
    for p in posts:
        if "src" in peers:
            write(os.path.join(out, "src", p.slug + ".md"), p.yaml_fm() + p.body)
        if "jekyll" in peers:
            write(
                os.path.join(out, "jekyll", "_posts", f"{p.date.isoformat()}-{p.slug}.md"),
                p.yaml_fm(["layout: post"]) + p.body,
            )
        if "hugo" in peers:
            write(
                os.path.join(out, "hugo", "content", "posts", p.slug + ".md"),
                p.yaml_fm([f"categories: [{p.category}]"]) + p.body,
            )
        if "mkdocs" in peers:
            write(
                os.path.join(out, "mkdocs", "docs", "posts", p.slug + ".md"), p.yaml_fm() + p.body
            )
        if "pelican" in peers:
            write(os.path.join(out, "pelican", "content", p.slug + ".md"), p.pelican_fm() + p.body)
        if "eleventy" in peers:
            write(os.path.join(out, "eleventy", "posts", p.slug + ".md"), p.yaml_fm() + p.body)
    if "jekyll" in peers:
        j = os.path.join(out, "jekyll")
        write(os.path.join(j, "_config.yml"), JEKYLL_CONFIG)
        write(os.path.join(j, "index.markdown"), JEKYLL_INDEX)
        write(os.path.join(j, "about.markdown"), JEKYLL_ABOUT)
        write(os.path.join(j, "404.html"), JEKYLL_404)
    if "hugo" in peers:
        h = os.path.join(out, "hugo")
        write(os.path.join(h, "config.yaml"), HUGO_CONFIG)
        write(os.path.join(h, "layouts", "_default", "baseof.html"), HUGO_BASEOF)
        write(os.path.join(h, "layouts", "_default", "single.html"), HUGO_SINGLE)
        write(os.path.join(h, "layouts", "_default", "list.html"), HUGO_LIST)
        write(os.path.join(h, "layouts", "index.html"), HUGO_INDEX)
    if "mkdocs" in peers:
        m = os.path.join(out, "mkdocs")
        write(os.path.join(m, "mkdocs.yml"), MKDOCS_CONFIG)
        write(os.path.join(m, "docs", "index.md"), MKDOCS_INDEX)
    if "pelican" in peers:
        pp = os.path.join(out, "pelican")
        write(os.path.join(pp, "pelicanconf.py"), PELICAN_CONF)
        write(os.path.join(pp, "pelicanconf_cache.py"), PELICAN_CONF_CACHE)
    if "eleventy" in peers:
        e = os.path.join(out, "eleventy")
        write(os.path.join(e, "posts", "posts.json"), ELEVENTY_POSTS_JSON)
        write(os.path.join(e, "_includes", "base.njk"), ELEVENTY_BASE)
        write(os.path.join(e, "_includes", "post.njk"), ELEVENTY_POST)
        write(os.path.join(e, "index.njk"), ELEVENTY_INDEX)
    return posts


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--out", default="corpus")
    ap.add_argument("--peers", default=",".join(ALL_PEERS))
    a = ap.parse_args()
    peers = [p for p in a.peers.split(",") if p]
    for p in peers:
        if p not in ALL_PEERS:
            ap.error(f"unknown peer {p}")
    posts = build(a.n, a.out, peers)
    wc = [words(p.body) for p in posts]
    print(
        f"wrote {len(posts)} posts to {a.out} for {peers}; "
        f"words/body min={min(wc)} mean={sum(wc) / len(wc):.0f} max={max(wc)}"
    )


if __name__ == "__main__":
    main()
