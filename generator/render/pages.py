"""Render stage: posts + compute results -> the bytes of every output file.

Uses Jinja (autoescape on, undefined is an error) over the theme's templates.
Returns OutputFiles and diagnostics; never touches the output folder.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from generator.compute.datasets import dataset_to_csv, dataset_to_json
from generator.content.posts import reading_minutes
from generator.content.urls import output_path, relative_url, slugify
from generator.errors import Diagnostic
from generator.forkmap import fork_map
from generator.memo import WrittenFiles, digest, same
from generator.model import ComputeResult, OutputFile, Post, SiteConfig
from generator.paths import data_path
from generator.placeholders import chart_token
from generator.render.engines import Engines
from generator.render.environment import bytecode_cache, isodate, longdate, templates_digest
from generator.render.highlight import pygments_css
from generator.render.memo import RenderMemo
from generator.render.outputs import render_cells
from generator.render.preview import chart_image, chart_picture, front_matter_image, summary
from generator.render.rendered import RenderedPost
from generator.render.search import INDEX_PATH, PAGE_PATH, build_index, html_text, search_entry
from generator.render.series import series_boxes
from generator.theme import Theme

if TYPE_CHECKING:
    from generator.render.charts.figure import Picture


class TemplateProblem(Exception):
    """Templates that failed; each distinct problem once, in the order pages met them."""

    def __init__(self, *diagnostics: Diagnostic) -> None:
        super().__init__("\n".join(str(d) for d in diagnostics))
        self.diagnostics = diagnostics


@dataclass
class Renderer:
    """Everything needed to render pages of one site, kept warm across posts."""

    config: SiteConfig
    theme: Theme
    site_root: Path
    # Where compiled templates are kept between builds (None: compile every time).
    template_cache: Path | None = None
    # Where highlighted code and typeset math are kept between builds (None: nowhere).
    fragment_cache: Path | None = None
    # A long-running caller's memo of the last build's pages (see generator.memo).
    memo: RenderMemo | None = None
    # What the output folders hold: a page found there unchanged is not made again.
    written: WrittenFiles | None = None
    jobs: int = 1  # processes that may render pages at once
    env: jinja2.Environment = field(init=False)
    _site: dict[str, Any] = field(init=False)
    _templates_digest: str = field(init=False)
    _engines: Engines | None = field(init=False, default=None)
    # render_site's neighbour and listing contexts, by post (the post is kept: ids recycle)
    _listed: dict[int, tuple[Post, dict[str, Any]]] = field(init=False, default_factory=dict)
    # render_site's series boxes, by post (see generator.render.series)
    _series: dict[str, Mapping[str, Any]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in self.theme.templates]),
            autoescape=jinja2.select_autoescape(["html", "xml"], default=True),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            bytecode_cache=bytecode_cache(self.template_cache),
            # A Renderer serves one build: templates cannot change under it, so Jinja need
            # not stat every template file again for each of the thousand pages.
            auto_reload=False,
        )
        self._site = self.site_context()
        self._templates_digest = templates_digest(self.theme.templates)
        self.env.globals["url_for"] = self._relative_url_for
        self.env.globals["abs_url"] = self.abs_url
        self.env.filters["isodate"] = isodate
        self.env.filters["longdate"] = longdate
        self.env.filters["slug"] = lambda text: slugify(str(text)) or "tag"

    @property
    def engines(self) -> Engines:
        """Made on first use: a build whose bodies are all cached never needs one."""
        if self.memo is not None:  # one warm set for all of a memo's builds
            if self.memo.engines is None:
                self.memo.engines = Engines()
            engines = self.memo.engines
        else:
            if self._engines is None:
                self._engines = Engines()
            engines = self._engines
        engines.fragments.folder = self.fragment_cache
        return engines

    def close(self) -> None:
        """Write the fragments this build made (the engines stay warm)."""
        engines = self.memo.engines if self.memo is not None else self._engines
        if engines is not None:
            engines.fragments.close()

    # ------------------------------------------------------------------ URLs

    def url_for(self, path: str) -> str:
        """A site-relative path ("/posts/x/") with the base path in front."""
        return self.config.base_path + path.lstrip("/")

    @jinja2.pass_context
    def _relative_url_for(self, context: jinja2.runtime.Context, path: str) -> str:
        """In templates, links are relative to the page, so a site also works from disk."""
        here = context.get("here")
        return relative_url(here, path) if isinstance(here, str) else self.url_for(path)

    def abs_url(self, path: str) -> str:
        return self.config.url + self.url_for(path)

    def data_url(self, post: Post) -> Callable[[str, str], str]:
        here = output_path(post.url)
        return lambda name, ext: relative_url(here, "/" + data_path(post.data_slug, name, ext))

    # ------------------------------------------------------------------ posts

    def render_post_body(self, post: Post, result: ComputeResult) -> RenderedPost:
        """Markdown, cells and charts of one post (no template yet)."""
        first: Picture | None = None
        blocks, files, diags = render_cells(
            post, result.outputs, self.engines.highlighter, self.engines.latex
        )
        if post.charts:  # the chart modules load only for posts that have charts
            from generator.render.charts.figure import render_chart
        for chart in post.charts:
            rendered = render_chart(
                chart,
                post,
                result.datasets,
                config=self.config,
                site_root=self.site_root,
                data_url=self.data_url(post),
            )
            blocks[chart_token(chart.index)] = rendered.html
            files.extend(rendered.files)
            diags.extend(rendered.diagnostics)
            if chart is post.charts[0]:
                first = rendered.picture  # None when the chart has problems
        image = image_alt = ""
        if first is not None and not front_matter_image(post):
            png = chart_picture(post, first)
            files.append(png)
            image, image_alt = "/" + png.path, first.alt
        for name in sorted(result.datasets):
            dataset = result.datasets[name]
            slug = post.data_slug
            files.append(OutputFile(data_path(slug, name, "json"), dataset_to_json(dataset)))
            files.append(OutputFile(data_path(slug, name, "csv"), dataset_to_csv(dataset)))
        liquid = self._liquid(post) if post.jekyll else None
        engine = self.engines.for_post(post, self.config)
        body = engine.render(post, blocks=blocks, liquid=liquid)
        diags.extend(body.diagnostics)
        return RenderedPost(
            post,
            body.html,
            body.toc,
            tuple(files),
            tuple(diags),
            reading_minutes(post.body),
            search_entry(post, body.toc, html_text(body.html)),
            summary(body.html),
            tuple(sorted(result.datasets)),
            image=image,
            image_alt=image_alt,
        )

    def _liquid(self, post: Post) -> Callable[[str, dict[str, str]], Any]:
        include_dirs = [
            self.site_root / "_includes",
            *(t / "includes" for t in self.theme.templates),
        ]

        from generator.render.liquid import render_liquid  # Jekyll posts only

        def run(text: str, stash: dict[str, str]) -> Any:
            return render_liquid(
                text,
                path=post.rel,
                first_line=post.body_line,
                page=self.page_context(post),
                site=self.site_context(),
                include_dirs=include_dirs,
                post_dir=post.source.parent,
                site_root=self.site_root,
                stash=stash,
            )

        return run

    # ------------------------------------------------------------------ contexts

    def site_context(self) -> dict[str, Any]:
        data = dict(self.config.extra)
        data.update(asdict(self.config))
        data.pop("extra")
        data["baseurl"] = self.config.base_path.rstrip("/")
        return data

    def page_context(self, post: Post, rendered: RenderedPost | None = None) -> dict[str, Any]:
        data: dict[str, Any] = dict(post.extra)
        data.update(
            title=post.title,
            date=post.date,
            slug=post.slug,
            url=post.url,
            layout=post.layout,
            kind=post.kind,
            tags=list(post.tags),
            categories=list(post.categories),
            order=post.order,
            draft=post.draft,
            description=post.description,
            series=post.series,
            source=post.rel,
        )
        if rendered is not None:
            data.update(
                content=Markup(rendered.html),
                toc=rendered.toc,
                reading_minutes=rendered.reading_minutes,
                summary=rendered.summary,
                datasets=[
                    {
                        "name": name,
                        "json": "/" + data_path(post.data_slug, name, "json"),
                        "csv": "/" + data_path(post.data_slug, name, "csv"),
                    }
                    for name in rendered.datasets
                ],
                has_charts=bool(post.charts),
                uses_charts=bool(post.charts) or _draws_charts(rendered.html),
                # A hand-written embed calls Chart while the page is read: Chart.js must be
                # there first. Pages with only ```chart blocks load it deferred.
                charts_inline=_INLINE_SCRIPT.search(rendered.html) is not None,
                uses_embeds='class="lp-embed"' in rendered.html,
                uses_interact='class="lp-interact"' in rendered.html,
                chart_image=chart_image(rendered),
            )
        return data

    # ------------------------------------------------------------------ templates

    def render_template(self, name: str, here: str | None, **context: Any) -> bytes:
        """Render template ``name`` for the output file ``here`` (relative to the output root)."""
        try:
            template = self.env.get_template(name)
            text = template.render(site=self._site, here=here, **context)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateProblem(
                Diagnostic(
                    self._template_rel(exc.filename, name),
                    exc.lineno or 0,
                    exc.message or "",
                    code="template",
                )
            ) from None
        except jinja2.TemplateNotFound as exc:
            problem = Diagnostic(
                f"templates/{name}", 0, f"template not found: {exc}", code="template"
            )
            raise TemplateProblem(problem) from None
        except Exception as exc:  # an error raised while rendering a template: report where
            raise TemplateProblem(self._runtime_problem(exc, name)) from None
        return text.encode("utf-8")

    def _template_rel(self, filename: str | None, name: str) -> str:
        if not filename:
            return f"templates/{name}"
        path = Path(filename)
        for root in self.theme.templates:
            try:
                return "templates/" + path.resolve().relative_to(root.resolve()).as_posix()
            except ValueError:
                continue
        return path.as_posix()

    def _runtime_problem(self, exc: Exception, name: str) -> Diagnostic:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if f.filename.endswith((".html", ".xml"))
        ]
        if frames:
            last = frames[-1]
            return Diagnostic(
                self._template_rel(last.filename, name), last.lineno or 0, str(exc), code="template"
            )
        return Diagnostic(f"templates/{name}", 0, f"{type(exc).__name__}: {exc}", code="template")

    def render_search(self, rendered: Sequence[RenderedPost]) -> list[OutputFile]:
        """``search-index.json`` and the search page (``templates/search.html``).

        Raises TemplateProblem like every page render.
        """
        return [
            OutputFile(INDEX_PATH, build_index(rendered)),
            OutputFile(PAGE_PATH, self.render_template("search.html", PAGE_PATH)),
        ]

    def render_site(self, rendered: Sequence[RenderedPost]) -> list[OutputFile]:
        """Every page: posts, index, tag pages, 404. Raises TemplateProblem."""
        self._listed = {}
        self._series = series_boxes([r.post for r in rendered])
        posts = [r for r in rendered if r.post.kind == "post"]
        pages: list[_Page] = []
        for i, item in enumerate(posts):
            prev_post = posts[i - 1].post if i > 0 else None
            next_post = posts[i + 1].post if i + 1 < len(posts) else None
            pages.append(self._page(item, prev=prev_post, next=next_post))
        for item in rendered:
            if item.post.kind == "page":
                pages.append(self._page(item, prev=None, next=None))
        own = len(pages)
        listing = [self._listing(r.post) | {"reading_minutes": r.reading_minutes} for r in posts]
        pages.append(self._listing_page("index.html", "index.html", posts=listing))
        pages.extend(self._taxonomy_pages(listing))
        made = self._make(pages)
        files = made[:own]
        for item in rendered:
            files.extend(item.files)
        files.extend(made[own:])
        # 404.html is served for any missing path, so its links cannot be relative.
        files.append(OutputFile("404.html", self.render_template("404.html", here=None)))
        files.append(
            OutputFile("assets/highlight.css", pygments_css(self.engines.fragments).encode("utf-8"))
        )
        if self.memo is not None:  # forget pages that are gone
            done = {f.path for f in files}
            for gone in [k for k in self.memo.pages if k not in done]:
                del self.memo.pages[gone]
        return files

    def _page(self, item: RenderedPost, *, prev: Post | None, next: Post | None) -> _Page:
        # The same post objects as last time (the memo keeps them) make the same page.
        inputs = (
            item,
            self._listing(prev) if prev else None,  # what the page shows of its neighbours
            self._listing(next) if next else None,
            self._series.get(item.post.rel),
            self._templates_digest,
            self._site,
        )
        return _Page(
            output_path(item.post.url),
            f"{item.post.layout}.html",
            inputs,
            lambda: self._page_uncached(item, prev=prev, next=next).data,
        )

    def _page_uncached(
        self, item: RenderedPost, *, prev: Post | None, next: Post | None
    ) -> OutputFile:
        post = item.post
        context = self.page_context(post, item)
        prev_context = self._listing(prev) if prev else None
        next_context = self._listing(next) if next else None
        target = output_path(post.url)
        data = self.render_template(
            f"{post.layout}.html",
            target,
            page=context,
            prev=prev_context,
            next=next_context,
            series_boxes=self._series,
        )
        return OutputFile(target, data)

    def _listing(self, post: Post) -> dict[str, Any]:
        """``page_context(post)`` without the body, made once per post per render_site."""
        found = self._listed.get(id(post))
        if found is None or found[0] is not post:
            found = self._listed[id(post)] = (post, self.page_context(post))
        return found[1]

    def _listing_page(self, name: str, here: str, **context: Any) -> _Page:
        """A listing page (index, tags): from the memo when nothing it shows changed."""
        inputs = (name, context, self._templates_digest, self._site)
        return _Page(here, name, inputs, lambda: self.render_template(name, here, **context))

    def _make(self, pages: Sequence[_Page]) -> list[OutputFile]:
        """Each page: the one the memo's last build made from the same inputs, else
        rendered (on every core when there are many).

        The memo keeps only a page's digest; the bytes are read back from the folder
        that build wrote, if the writer needs them. A page no folder holds any more is
        made anew, and so is one whose folder changes before the writer reads it.
        """
        files: list[OutputFile | None] = []
        for page in pages:
            known = self.memo.pages.get(page.target) if self.memo else None
            kept = None
            if known is not None and self.written is not None and same(known[0], page.inputs):
                kept = self.written.kept(page.target, known[1], page.make)
            files.append(kept)
        todo = [i for i, kept in enumerate(files) if kept is None]
        # One page of each template first, here: the templates it uses are compiled
        # once, before the workers fork, instead of once in each worker.
        first: dict[str, int] = {}
        for i in todo:
            first.setdefault(pages[i].template, i)
        made = {i: _attempt(pages[i].make) for i in first.values()}
        rest = [i for i in todo if i not in made]
        attempts = [partial(_attempt, pages[i].make) for i in rest]
        made.update(zip(rest, fork_map(attempts, self.jobs), strict=True))
        found = [p.diagnostics for i in todo if isinstance(p := made[i], TemplateProblem)]
        if found:  # every distinct problem, not just the first page's
            raise TemplateProblem(*dict.fromkeys(d for diagnostics in found for d in diagnostics))
        for i in todo:
            data = made[i]
            assert isinstance(data, bytes)  # no problems, so every page was made
            fresh = files[i] = OutputFile(pages[i].target, data, digest(data))
            if self.memo is not None:
                self.memo.pages[fresh.path] = (pages[i].inputs, fresh.digest)
        return [f for f in files if f is not None]

    def _taxonomy_pages(self, listing: list[dict[str, Any]]) -> Iterable[_Page]:
        """Tag and category pages, each with its count of lessons."""
        for kind, title, verb in (("tags", "Tags", "tagged"), ("categories", "Categories", "in")):
            groups: dict[str, list[dict[str, Any]]] = {}
            for entry in listing:
                for name in entry[kind]:
                    groups.setdefault(name, []).append(entry)
            if kind == "categories" and not groups:
                continue
            taxonomy = {"title": title, "verb": verb, "path": f"/{kind}/"}
            names = sorted(groups, key=str.casefold)
            summary = [
                {"name": n, "slug": slugify(n) or "tag", "count": len(groups[n])} for n in names
            ]
            here = f"{kind}/index.html"
            yield self._listing_page("tags.html", here, tags=summary, taxonomy=taxonomy)
            for name, entry in zip(names, summary, strict=True):
                here = f"{kind}/{entry['slug']}/index.html"
                yield self._listing_page(
                    "tag.html", here, tag=entry, posts=groups[name], taxonomy=taxonomy
                )


def _attempt(make: Callable[[], bytes]) -> bytes | TemplateProblem:
    """``make()``, or the problem it raised: a build reports every page's, not the first."""
    try:
        return make()
    except TemplateProblem as problem:
        return problem


@dataclass(frozen=True)
class _Page:
    """A page to be had: from the memo if ``inputs`` are as last time, else ``make()``."""

    target: str  # its path in the output folder
    template: str
    inputs: tuple[Any, ...]
    make: Callable[[], bytes]


_CANVAS_OR_SCRIPT = re.compile(r"<(?:canvas|script)\b", re.I)
# A script that runs as the page is read (not a chart block's JSON config).
_INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\btype=[\"']?application/json)", re.I)


def _draws_charts(html: str) -> bool:
    """A hand-written embed (a canvas, or a script that may call Chart) needs Chart.js too."""
    return _CANVAS_OR_SCRIPT.search(html) is not None
