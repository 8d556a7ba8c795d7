"""Content stage helper: YAML for untrusted author input.

Safe loading only, with what ``yaml.safe_load`` lacks for authors: the line of
each top-level key, duplicate keys reported instead of silently overwritten,
and a bound on aliases so an alias bomb cannot exhaust memory downstream.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node

MAX_ALIASES = 100
MAX_EXPANDED = 100_000  # values in the document once aliases are expanded
_TAG = re.compile(r"tag '([^']*)'")


class YamlProblem(Exception):
    """Invalid YAML; ``line`` is 1-based within the YAML text."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _construct_checked(loader: Any, node: Node, deep: bool = False) -> Any:
    """``construct_object`` whose scalar conversions fail as YAML errors with a mark.

    PyYAML's safe constructors let Python's own errors escape for values such as
    ``2024-13-45``, ``!!int abc``, ``!!bool maybe`` or an empty ``!!timestamp``.
    """
    try:
        return yaml.constructor.SafeConstructor.construct_object(loader, node, deep)
    except (yaml.YAMLError, RecursionError, MemoryError):
        raise
    except Exception as exc:  # e.g. ValueError, KeyError, AttributeError from a bad scalar
        shown = node.value[:40] if isinstance(node.value, str) else node.tag
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"cannot read {shown!r} as {node.tag.rsplit(':', 1)[-1]}: {exc}",
            node.start_mark,
        ) from None


class _Loader(yaml.SafeLoader):
    aliases = 0
    first_line = 1
    construct_object = _construct_checked

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlProblem(
                    mark.line + self.first_line, f"too many YAML aliases (more than {MAX_ALIASES})"
                )
        return super().compose_node(parent, index)


def _check_duplicates(node: Node, first_line: int) -> None:
    stack = [node]
    seen_nodes: set[int] = set()
    while stack:
        current = stack.pop()
        if id(current) in seen_nodes:
            continue
        seen_nodes.add(id(current))
        if isinstance(current, MappingNode):
            keys: dict[str, int] = {}
            for key_node, value_node in current.value:
                key = str(key_node.value)
                line = key_node.start_mark.line + first_line
                if key in keys and key != "<<":
                    raise YamlProblem(
                        line, f"duplicate key '{key}' (first given on line {keys[key]})"
                    )
                keys[key] = line
                stack.append(value_node)
        elif isinstance(current.value, list):
            stack.extend(current.value)


def _check_expansion(node: Node, limit: int, first_line: int) -> None:
    """Aliases share nodes; later stages copy and hash the data, so bound its expanded size."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(current: Node) -> int:
        key = id(current)
        if key in sizes:
            return sizes[key]
        if key in active:
            line = current.start_mark.line + first_line
            raise YamlProblem(line, "invalid YAML: an alias refers to its own anchor")
        active.add(key)
        total = 1
        if isinstance(current.value, list):
            for child in current.value:
                pair = child if isinstance(child, tuple) else (child,)
                total += sum(size(item) for item in pair)
                if total > limit:
                    line = current.start_mark.line + first_line
                    raise YamlProblem(
                        line, f"invalid YAML: aliases expand to over {limit:,} values"
                    )
        active.discard(key)
        sizes[key] = total
        return total

    size(node)


# libyaml is ~10x faster; it cannot count aliases while composing, so text that
# defines anchors goes through the pure-Python loader, which can.
_FastLoader: type[yaml.SafeLoader] = _Loader
if hasattr(yaml, "CSafeLoader"):

    class _CLoader(yaml.CSafeLoader):
        construct_object = _construct_checked

    _FastLoader = _CLoader  # type: ignore[assignment]


def _reader_problem(exc: yaml.reader.ReaderError, text: str, first_line: int) -> YamlProblem:
    line = text.count("\n", 0, exc.position) + first_line
    code = exc.character if isinstance(exc.character, int) else 0
    return YamlProblem(line, f"invalid YAML: control character U+{code:04X} is not allowed")


Path = tuple[str | int, ...]  # keys and list indexes from the top of a document


def load_yaml(text: str, first_line: int = 1) -> tuple[Any, dict[str, int]]:
    """Parse ``text``; return the data and the line of each top-level key.

    Lines (returned and in problems) count from ``first_line``, the line of the
    text's first line in its file.
    """
    data, lines = _parse(text, first_line, nested=False)
    return data, {str(path[0]): line for path, line in lines.items()}


def load_yaml_paths(text: str, first_line: int = 1) -> tuple[Any, dict[Path, int]]:
    """Like :func:`load_yaml`, with the line of every key and list item at any depth,
    by path: ``("series", 0, "y")``. Keys are named as the loaded data names them."""
    return _parse(text, first_line, nested=True)


def _parse(text: str, first_line: int, *, nested: bool) -> tuple[Any, dict[Path, int]]:
    if "&" not in text and "*" not in text:
        try:
            return _load(text, _FastLoader, first_line, nested)
        except YamlProblem:
            pass  # report with the pure-Python loader's clearer messages and marks
    return _load(text, _Loader, first_line, nested)


def _load(
    text: str, loader_class: type[yaml.SafeLoader], first_line: int, nested: bool
) -> tuple[Any, dict[Path, int]]:
    try:
        loader = loader_class(text)  # the reader rejects control characters right away
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text, first_line) from None
    if isinstance(loader, _Loader):
        loader.first_line = first_line
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_duplicates(node, first_line)
        if getattr(loader, "aliases", 0):
            _check_expansion(node, MAX_EXPANDED, first_line)
        data = loader.construct_document(node)
        lines: dict[Path, int] = {}
        _key_lines(loader, node, (), first_line, lines, nested)
    except yaml.MarkedYAMLError as exc:
        raise _marked_problem(exc, text, first_line) from None
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(exc, text, first_line) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(first_line, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(first_line, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    return data, lines


def _marked_problem(exc: yaml.MarkedYAMLError, text: str, first_line: int) -> YamlProblem:
    """PyYAML's error at the line an author must fix. A bracket or quote left open is
    noticed lines later: it is reported where it opened ("while parsing a flow
    sequence" has that mark), and the line is shown."""
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + first_line if mark is not None else first_line
    problem = exc.problem or str(exc)
    tag = _TAG.search(problem)
    if isinstance(exc, yaml.constructor.ConstructorError) and tag:
        problem = f"unsupported tag '{tag.group(1)}' (only plain YAML is allowed)"
    opened = exc.context_mark
    if (
        exc.context
        and opened is not None
        and exc.problem_mark is not None
        and opened.line < exc.problem_mark.line
        and exc.context.startswith("while ")
    ):
        construct = exc.context.removeprefix("while parsing ").removeprefix("while scanning ")
        problem = f"{construct} opened here is never closed: {problem} on line {line}"
        line = opened.line + first_line
    lines = text.split("\n")
    shown = lines[line - first_line].strip() if 0 <= line - first_line < len(lines) else ""
    return YamlProblem(line, f"invalid YAML: {problem}" + (f"\n    {shown}" if shown else ""))


def _key_lines(
    loader: yaml.SafeLoader,
    node: Node,
    path: Path,
    first_line: int,
    lines: dict[Path, int],
    nested: bool,
) -> None:
    """The line of each key (and, if ``nested``, of everything below it) into ``lines``."""
    if isinstance(node, MappingNode):
        for key, value in node.value:
            name = _key_name(loader, key) if nested else str(key.value)
            lines.setdefault((*path, name), key.start_mark.line + first_line)
            if nested:
                _key_lines(loader, value, (*path, name), first_line, lines, nested)
    elif nested and isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            lines[(*path, i)] = item.start_mark.line + first_line
            _key_lines(loader, item, (*path, i), first_line, lines, nested)


def _key_name(loader: yaml.SafeLoader, key: Node) -> str:
    """A key as the loaded mapping spells it (``.nan`` -> ``nan``, ``on`` -> ``True``)."""
    if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:str":
        return str(loader.construct_object(key))
    return str(key.value)
