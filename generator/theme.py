"""Content stage helper: where the default theme lives.

An installed wheel carries the theme inside the package (``generator/_theme``);
a checkout uses the repository's ``templates/``, ``static/`` and Chart.js from
``node_modules``. A site's own ``templates/`` and ``static/`` override the
defaults file by file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
REPO = PACKAGE.parent


@dataclass(frozen=True)
class Theme:
    templates: tuple[Path, ...]  # searched in order: the site's first
    static: tuple[Path, ...]  # copied in order: later folders override earlier ones
    chartjs: Path
    chartjs_license: Path


def default_theme_dirs() -> tuple[Path, Path, Path, Path]:
    bundled = PACKAGE / "_theme"
    if (bundled / "templates").is_dir():
        vendor = bundled / "vendor"
        return (
            bundled / "templates",
            bundled / "static",
            vendor / "chart.umd.js",
            vendor / "chart.js.LICENSE.md",
        )
    dist = REPO / "node_modules" / "chart.js"
    return (
        REPO / "templates",
        REPO / "static",
        dist / "dist" / "chart.umd.js",
        dist / "LICENSE.md",
    )


def load_theme(site_root: Path) -> Theme:
    templates, static, chartjs, license_file = default_theme_dirs()
    site_templates = site_root / "templates"
    site_static = site_root / "static"
    template_dirs = [templates]
    static_dirs = [static]
    if site_templates.is_dir() and site_templates.resolve() != templates.resolve():
        template_dirs.insert(0, site_templates)
    if site_static.is_dir() and site_static.resolve() != static.resolve():
        static_dirs.append(site_static)
    return Theme(tuple(template_dirs), tuple(static_dirs), chartjs, license_file)
