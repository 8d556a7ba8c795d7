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
_TAG = re.compile(r"tag '([^']*)'")


class YamlProblem(Exception):
    """Invalid YAML; ``line`` is 1-based within the YAML text."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _Loader(yaml.SafeLoader):
    aliases = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                raise YamlProblem(mark.line + 1, f"too many YAML aliases (more than {MAX_ALIASES})")
        return super().compose_node(parent, index)


def _check_duplicates(node: Node) -> None:
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
                line = key_node.start_mark.line + 1
                if key in keys and key != "<<":
                    raise YamlProblem(
                        line, f"duplicate key '{key}' (first given on line {keys[key]})"
                    )
                keys[key] = line
                stack.append(value_node)
        elif isinstance(current.value, list):
            stack.extend(current.value)


# libyaml is ~10x faster; it cannot count aliases while composing, so text that
# defines anchors goes through the pure-Python loader, which can.
_FastLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", _Loader)


def load_yaml(text: str) -> tuple[Any, dict[str, int]]:
    """Parse ``text``; return the data and the 1-based line of each top-level key."""
    if "&" not in text and "*" not in text:
        try:
            return _load(text, _FastLoader)
        except YamlProblem:
            pass  # report with the pure-Python loader's clearer messages and marks
    return _load(text, _Loader)


def _load(text: str, loader_class: type[yaml.SafeLoader]) -> tuple[Any, dict[str, int]]:
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, {}
        _check_duplicates(node)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or str(exc)
        tag = _TAG.search(problem)
        if isinstance(exc, yaml.constructor.ConstructorError) and tag:
            problem = f"unsupported tag '{tag.group(1)}' (only plain YAML is allowed)"
        raise YamlProblem(line, f"invalid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise YamlProblem(1, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise YamlProblem(1, "invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()
    lines: dict[str, int] = {}
    if isinstance(node, MappingNode):
        for key_node, _ in node.value:
            lines.setdefault(str(key_node.value), key_node.start_mark.line + 1)
    return data, lines
