"""The package layout is the pipeline: each stage imports only the stages below it.

Layers, lowest first (docs/architecture.md draws them):

    base (generator/*.py) < content < compute < render.charts < render < output
    < build < commands < cli

A module may import its own stage and any stage below; never one above. Every
import counts, including those inside functions and under ``TYPE_CHECKING``:
a type-only import upwards is still a stage knowing about a later one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"
LAYERS = (
    "base",
    "content",
    "compute",
    "render.charts",
    "render",
    "output",
    "build",
    "commands",
    "cli",
)
MAX_LINES = 500


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "_theme" not in p.parts}


def layer_of(module: str) -> str:
    """The stage a module belongs to: the longest layer name its dotted path starts with."""
    inner = module.split(".")[1:]
    if not inner or (len(inner) == 1 and inner[0] not in ("cli", "__main__")):
        return "base"
    if inner[0] in ("cli", "__main__"):
        return "cli"
    for depth in (2, 1):
        name = ".".join(inner[:depth])
        if name in LAYERS:
            return name
    raise AssertionError(f"{module} is in no declared layer: add its package to LAYERS")


def imported(path: Path, known: dict[str, Path]) -> Iterator[tuple[int, str]]:
    """(line, module) for every generator module that ``path`` imports."""
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("generator"):
                    yield node.lineno, _known_prefix(alias.name, known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if not node.module.startswith("generator"):
                continue
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                yield node.lineno, candidate if candidate in known else node.module


def _known_prefix(name: str, known: dict[str, Path]) -> str:
    while name not in known and "." in name:
        name = name.rsplit(".", 1)[0]
    return name


def upward_imports(known: dict[str, Path]) -> list[str]:
    problems = []
    for name, path in known.items():
        mine = LAYERS.index(layer_of(name))
        for line, target in imported(path, known):
            if target == "generator":  # the package itself: only __version__ lives there
                continue
            theirs = LAYERS.index(layer_of(target))
            if theirs > mine:
                rel = path.relative_to(PACKAGE.parent) if path.is_relative_to(PACKAGE) else path
                problems.append(
                    f"{rel}:{line}: {layer_of(name)} imports {target} ({layer_of(target)})"
                )
    return problems


def cycles(known: dict[str, Path]) -> list[list[str]]:
    graph = {
        name: sorted({t for _, t in imported(path, known) if t in known and t != name})
        for name, path in known.items()
    }
    found: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])
    return found


def test_every_module_is_in_a_declared_layer() -> None:
    for name in modules():
        assert layer_of(name) in LAYERS


def test_no_stage_imports_a_stage_above_it() -> None:
    assert upward_imports(modules()) == []


def test_no_import_cycles() -> None:
    # Package __init__ files import nothing, so a cycle is always between real modules.
    assert cycles(modules()) == []


def test_no_module_over_500_lines() -> None:
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}


def test_there_are_at_least_five_stage_packages() -> None:
    stages = {layer_of(name) for name in modules()} - {"base", "cli"}
    assert len(stages) >= 5


def test_an_upward_import_fails_the_layering_check(tmp_path: Path) -> None:
    """The check can fail: a content module that imports render is reported at its line."""
    fake = {
        "generator.content.posts": tmp_path / "posts.py",
        "generator.render.pages": tmp_path / "pages.py",
    }
    fake["generator.content.posts"].write_text("import os\nfrom generator.render.pages import X\n")
    fake["generator.render.pages"].write_text("from generator.content.posts import Y\n")
    assert upward_imports(fake) == [
        f"{tmp_path}/posts.py:2: content imports generator.render.pages (render)"
    ]
    assert cycles(fake) == [
        ["generator.content.posts", "generator.render.pages", "generator.content.posts"]
    ]


@pytest.mark.parametrize("folder", ["content", "compute", "render", "output", "build", "commands"])
def test_package_init_files_import_nothing(folder: str) -> None:
    """Importing a stage package must not drag its modules (and their imports) in."""
    tree = ast.parse((PACKAGE / folder / "__init__.py").read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
