"""Page weight of interact pages (issue 20): what a reader downloads, gzipped.

For each page given (default: every page of the built site with an interact), counts the
gzipped bytes of the HTML, the stylesheets and scripts it links, the images beside it and,
for each interact, its frames script and every frame's figures -- everything the reader
would load after moving every control through every position. Static hosts (GitHub Pages,
Netlify) serve these files gzipped.

    lessonpress build --source SITE && python benchmarks/page_weight.py SITE/site
    python benchmarks/page_weight.py SITE/site --page posts/w1d3-tutorial1/ --limit 400
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
from pathlib import Path

LINKED = re.compile(r'(?:src|href)="([^"#?:]+\.(?:css|js|svg|png|jpg))"')
FRAME_IMAGE = re.compile(r"-\d+-[0-9a-f]{10}-\d+\.(?:svg|png)$")


def gz(path: Path) -> int:
    return len(gzip.compress(path.read_bytes(), 9))


def weigh(site: Path, page: str) -> dict[str, float]:
    folder = site / page
    html = (folder / "index.html").read_text(encoding="utf-8")
    linked = {(folder / ref).resolve() for ref in LINKED.findall(html)}
    beside = {p.resolve() for p in folder.iterdir() if p.is_file() and p.name != "index.html"}
    frames = sorted(p for p in beside if FRAME_IMAGE.search(p.name))
    scripts = sorted(p for p in beside if p.name.endswith("-frames.js"))
    everything = linked | beside
    total = gz(folder / "index.html") + sum(gz(p) for p in everything if p.is_file())
    frame_bytes = sum(gz(p) for p in frames)
    return {
        "html": gz(folder / "index.html"),
        "total": total,
        "frames": len(frames),
        "per_frame": frame_bytes / len(frames) if frames else 0.0,
        "frame_scripts": sum(gz(p) for p in scripts),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", type=Path, help="a built site folder")
    parser.add_argument("--page", action="append", help="a page folder, e.g. posts/x/")
    parser.add_argument("--limit", type=float, help="fail if a page weighs more KB than this")
    args = parser.parse_args()
    pages = args.page or sorted(
        str(p.parent.relative_to(args.site))
        for p in args.site.rglob("index.html")
        if 'class="lp-interact"' in p.read_text(encoding="utf-8")
    )
    print(f"{'page':45} {'html KB':>8} {'frames':>7} {'KB/frame':>9} {'total KB':>9}")
    over = False
    for page in pages:
        w = weigh(args.site, page)
        total = w["total"] / 1024
        print(
            f"{page:45} {w['html'] / 1024:8.1f} {int(w['frames']):7d} "
            f"{w['per_frame'] / 1024:9.2f} {total:9.1f}"
        )
        over = over or (args.limit is not None and total > args.limit)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
