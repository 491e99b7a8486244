"""Reading YAML that users write, within bounds of time and memory.

Scenario, experiment and brief files are small: a few hundred values. PyYAML
alone will read anything, and what it reads can be hostile (issue 13):

- an alias bomb (anchors that repeat anchors) is 389 bytes on disk and a
  billion values once walked or printed: 13.7 GB before it was killed;
- 500 nested brackets exhaust Python's recursion limit while composing;
- a 5,000-digit integer exceeds Python's integer-to-text limit;
- a repeated key (a second ``levers:`` block) silently replaces the first.

:func:`parse_yaml` refuses each: it counts values as if every alias were
expanded (:data:`MAX_NODES`), limits nesting (:data:`MAX_DEPTH`), integer
length (:data:`MAX_INT_DIGITS`) and file size (:data:`MAX_FILE_BYTES`), and
rejects a repeated key with both line numbers. It also reads ``1e9`` and
``2.5e8`` as numbers, as YAML 1.2 does. :func:`read_mapping` turns every
failure into one :class:`HedgesimError` naming the file and the line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode

from model.errors import HedgesimError, show

MAX_NODES = 100_000
"""Values in a file, counting each alias as the values it stands for."""
MAX_DEPTH = 50
"""Levels of nesting (a scenario needs about five)."""
MAX_INT_DIGITS = 40
"""Characters of one integer (a seed needs at most 19 digits)."""
MAX_FILE_BYTES = 4_000_000
"""Bytes of one file."""

_MERGE_TAG = "tag:yaml.org,2002:merge"


class DuplicateKeyError(ConstructorError):
    """A mapping gives the same key twice; ``key``, ``first_line`` and ``line`` say where."""

    def __init__(self, key: Any, first_line: int, line: int, mark) -> None:
        self.key, self.first_line, self.line = key, first_line, line
        super().__init__(None, None, f"duplicate key {show(key)}", mark)


class _Loader(yaml.SafeLoader):
    """SafeLoader with limits on expanded size, nesting and integers; no repeated keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._expanded = 0  # values composed so far, aliases counted as their anchor's size
        self._depth = 0
        self._anchor_size: dict[str, int] = {}

    def compose_node(self, parent, index):
        event = self.peek_event()
        if self.check_event(AliasEvent):
            size = self._anchor_size.get(event.anchor)
            if size is None and event.anchor in self.anchors:
                raise ComposerError(None, None, f"alias *{event.anchor} refers to a value that "
                                    "contains it (a structure without end)", event.start_mark)
            node = super().compose_node(parent, index)  # raises for an undefined alias
            self._count(size or 1, event.start_mark)
            return node
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise ComposerError(None, None, f"more than {MAX_DEPTH} levels of nesting",
                                event.start_mark)
        before = self._expanded
        self._count(1, event.start_mark)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if event.anchor is not None:
            self._anchor_size[event.anchor] = self._expanded - before
        return node

    def _count(self, size: int, mark) -> None:
        self._expanded += size
        if self._expanded > MAX_NODES:
            raise ComposerError(None, None, f"more than {MAX_NODES:,} values once aliases are "
                                "expanded (anchors that repeat anchors?)", mark)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node)
                line = key_node.start_mark.line
                try:
                    first = seen.get(key)
                except TypeError:  # unhashable: the base class says so
                    continue
                if first is not None:
                    raise DuplicateKeyError(key, first + 1, line + 1, key_node.start_mark)
                seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if len(text) > MAX_INT_DIGITS:
            raise ConstructorError(None, None, f"an integer of {len(text)} characters; expected "
                                   f"at most {MAX_INT_DIGITS}", node.start_mark)
        return super().construct_yaml_int(node)


_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def is_file(path: str | Path) -> bool:
    """``Path.is_file`` that answers False for names the system refuses (too long, NUL)."""
    try:
        return Path(path).is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: str | Path) -> bool:
    """``Path.is_dir`` that answers False for names the system refuses (too long, NUL)."""
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def parse_yaml(text: str) -> Any:
    """One YAML document within the limits above; raises ``yaml.YAMLError`` beyond them."""
    return yaml.load(text, Loader=_Loader)


def read_mapping(path: Path, what: str, where: str | None = None) -> dict | None:
    """The mapping at the top of a user's YAML file, or None for an empty file.

    Every failure is one :class:`HedgesimError` naming ``path`` (or ``where``,
    the file that referred to it) and, for YAML, the line. ``what`` names the
    kind of file in messages ("scenario", "brief").
    """
    file = where or str(path)
    field = None if where is None else "extends"
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise HedgesimError(file, field, f"expected a {what} file, {str(path)!r} is not a file")
    except (OSError, ValueError):
        raise HedgesimError(file, field, f"expected a readable {what} file, {show(str(path))} "
                            "not found") from None
    if size > MAX_FILE_BYTES:
        raise HedgesimError(path, None, f"the file has {size:,} bytes; expected a {what} file of "
                            f"at most {MAX_FILE_BYTES:,}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise HedgesimError(path, None, f"expected a {what} file of UTF-8 text, found byte "
                            f"0x{exc.object[exc.start]:02x} at offset {exc.start} (a binary "
                            "file?)") from None
    except OSError as exc:
        raise HedgesimError(path, None, f"cannot read file ({exc.strerror})") from None
    if "\x00" in text:
        raise HedgesimError(path, None, f"expected a {what} file of text, found a NUL byte "
                            "(a binary file?)")
    try:
        data = parse_yaml(text)
    except DuplicateKeyError as exc:
        raise HedgesimError(path, f"line {exc.line}", f"key {show(exc.key)} given twice (first "
                            f"on line {exc.first_line}); the second would silently replace the "
                            "first: merge them") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}" if mark else None
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise HedgesimError(path, line, f"invalid YAML ({problem})") from None
    except Exception as exc:  # PyYAML's own constructors: !!timestamp 2020-13-45, an empty !!int
        raise HedgesimError(path, None, f"invalid YAML ({type(exc).__name__}: {exc})") from None
    if data is not None and not isinstance(data, dict):
        raise HedgesimError(path, None, f"expected a mapping of {what} keys at the top level")
    return data
