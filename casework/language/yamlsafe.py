"""Safe, located YAML loading for definitions and policies.

The text is read as a stream of parser events (libyaml when available) and
built into plain Python data by a small iterative composer, so that:

* every mapping key and sequence item keeps its line and column
  (:class:`Locations`, keyed by path tuples such as ``("steps", 3, "next")``);
* nothing but plain data can be built: explicit tags other than the standard
  scalar/collection ones (``!!python/...``, ``!custom``, ``!!set``...) are refused;
* duplicate keys, non-string keys, merge keys, multi-document files, files over
  1 MiB, nesting deeper than 50 and alias abuse (more than 100 aliases, or any
  alias to a mapping or sequence) are refused with a located diagnostic;
* booleans follow YAML 1.2: only ``true``/``false`` (so ``on:`` and ``no`` are strings).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml import events as ev

from casework.errors import DefinitionError, Diagnostic

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 50
MAX_ALIASES = 100

Path = tuple[str | int, ...]

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_STD}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_MAP_TAGS = {None, "!", f"{_STD}map"}
_SEQ_TAGS = {None, "!", f"{_STD}seq"}


class _Resolver(yaml.resolver.Resolver):
    """The safe resolver with YAML 1.2 booleans."""


_Resolver.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != f"{_STD}bool"]
    for k, v in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Resolver.add_implicit_resolver(
    f"{_STD}bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_RESOLVER = _Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


def quoted(value: object) -> str:
    """``'name'`` for a plain printable name, else its escaped repr (messages stay one line)."""
    text = str(value)
    return f"'{text}'" if text.isprintable() and "'" not in text else repr(text)


class Locations(dict[Path, tuple[int, int]]):
    """Path tuple -> (line, column) of the key or item, both 1-based.

    Attributes:
        scalars: Path tuple -> (line, column, style) of each scalar value's first
            character (style: ``""`` plain, ``'"'``/``"'"`` quoted, ``"|"``/``">"`` block).
    """

    def __init__(self) -> None:
        super().__init__()
        self.scalars: dict[Path, tuple[int, int, str]] = {}

    def value_at(self, path: Path) -> tuple[int, int, str] | None:
        """Where the scalar value at ``path`` starts, if it is a scalar."""
        return self.scalars.get(tuple(path))

    def find(self, path: Path) -> tuple[int, int]:
        """Return the location of ``path`` or of its nearest located ancestor."""
        probe = tuple(path)
        while probe:
            hit = self.get(probe)
            if hit is not None:
                return hit
            probe = probe[:-1]
        return self.get((), (1, 1))


@dataclass(frozen=True, slots=True)
class YamlDoc:
    """A loaded YAML document.

    Attributes:
        data: Plain Python data (dict, list, str, int, float, bool, None, date, datetime).
        locations: Where every key and item is.
    """

    data: Any
    locations: Locations


class _RejectError(Exception):
    def __init__(self, mark: Any, code: str, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.line = (mark.line + 1) if mark is not None else 0
        self.column = (mark.column + 1) if mark is not None else 0
        self.code = code
        self.message = message
        self.hint = hint


def _scalar(event: ev.ScalarEvent) -> Any:
    tag = event.tag
    if tag in (None, "!"):
        if tag == "!" or not event.implicit[0]:
            return event.value
        tag = _RESOLVER.resolve(yaml.ScalarNode, event.value, (True, False))  # type: ignore[no-untyped-call]
    if tag not in _SCALAR_TAGS:
        raise _RejectError(
            event.start_mark,
            "Y003",
            f"tag {tag!r} is not allowed",
            "remove the tag: only plain strings, numbers, booleans, dates and null are allowed",
        )
    if tag == f"{_STD}str":
        return event.value
    node = yaml.ScalarNode(tag, event.value)
    try:
        return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
    except (ValueError, TypeError, yaml.YAMLError) as exc:
        raise _RejectError(
            event.start_mark,
            "Y001",
            f"invalid {tag.rsplit(':', 1)[-1]} value {event.value!r}",
            (str(exc).splitlines() or [""])[0],
        ) from None


class _Frame:
    __slots__ = ("container", "key", "key_mark", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: Path) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None
        self.key_mark: Any = None


def _compose(text: str) -> YamlDoc:
    locations = Locations()
    stack: list[_Frame] = []
    anchors: dict[str, tuple[Any, bool]] = {}
    aliases = 0
    documents = 0
    root: Any = None

    def place(value: Any, mark: Any, *, collection: bool) -> Path | None:
        """Attach ``value`` to the open container; return its path (None for a key)."""
        nonlocal root
        if not stack:
            root = value
            locations[()] = (mark.line + 1, mark.column + 1)
            return ()
        top = stack[-1]
        if isinstance(top.container, list):
            path = (*top.path, len(top.container))
            top.container.append(value)
            locations[path] = (mark.line + 1, mark.column + 1)
            return path
        if top.key is None:
            if collection:
                raise _RejectError(
                    mark, "Y005", "a mapping key must be a plain string", "quote the key"
                )
            if not isinstance(value, str):
                raise _RejectError(
                    mark,
                    "Y005",
                    f"mapping key {value!r} is not a string",
                    f"quote it: {quoted(value)}",
                )
            if value in top.container:
                first = locations.get((*top.path, value), (0, 0))
                raise _RejectError(
                    mark,
                    "Y002",
                    f"duplicate key {quoted(value)} (first at line {first[0]})",
                    "remove or rename one of them",
                )
            top.key = value
            top.key_mark = mark
            return None
        path = (*top.path, top.key)
        top.container[top.key] = value
        locations[path] = (top.key_mark.line + 1, top.key_mark.column + 1)
        top.key = None
        return path

    def remember(anchor: str | None, value: Any, mark: Any, *, collection: bool) -> None:
        if anchor is None:
            return
        if len(anchors) >= MAX_ALIASES:
            raise _RejectError(
                mark, "Y004", f"more than {MAX_ALIASES} anchors", "write the values out"
            )
        anchors[anchor] = (value, collection)

    for event in yaml.parse(text, Loader=_Parser):
        if isinstance(event, ev.ScalarEvent):
            if event.tag == f"{_STD}merge" or (
                event.value == "<<" and event.implicit[0] and stack and stack[-1].key is None
            ):
                raise _RejectError(
                    event.start_mark,
                    "Y004",
                    "merge keys (<<) are not supported",
                    "write the keys out",
                )
            value = _scalar(event)
            where = place(value, event.start_mark, collection=False)
            mark = event.start_mark
            if where is not None and mark is not None:
                locations.scalars[where] = (mark.line + 1, mark.column + 1, event.style or "")
            remember(event.anchor, value, event.start_mark, collection=False)
        elif isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
            is_map = isinstance(event, ev.MappingStartEvent)
            if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
                raise _RejectError(
                    event.start_mark,
                    "Y003",
                    f"tag {event.tag!r} is not allowed",
                    "remove the tag: only plain mappings and lists are allowed",
                )
            if len(stack) >= MAX_DEPTH:
                raise _RejectError(
                    event.start_mark,
                    "Y006",
                    f"nesting deeper than {MAX_DEPTH} levels",
                    "flatten the file",
                )
            container: dict[str, Any] | list[Any] = {} if is_map else []
            path = place(container, event.start_mark, collection=True)
            if path is None:  # unreachable: place raises for collection keys
                raise _RejectError(event.start_mark, "Y005", "a mapping key must be a plain string")
            remember(event.anchor, container, event.start_mark, collection=True)
            stack.append(_Frame(container, path))
        elif isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            stack.pop()
        elif isinstance(event, ev.AliasEvent):
            aliases += 1
            target = anchors.get(event.anchor or "")
            if target is None:
                raise _RejectError(event.start_mark, "Y004", f"unknown alias *{event.anchor}")
            if target[1]:
                raise _RejectError(
                    event.start_mark,
                    "Y004",
                    f"alias *{event.anchor} refers to a mapping or list",
                    "aliases may only repeat plain values: write the structure out",
                )
            if aliases > MAX_ALIASES:
                raise _RejectError(
                    event.start_mark,
                    "Y004",
                    f"more than {MAX_ALIASES} aliases",
                    "write the values out",
                )
            place(target[0], event.start_mark, collection=False)
        elif isinstance(event, ev.DocumentStartEvent):
            documents += 1
            if documents > 1:
                raise _RejectError(
                    event.start_mark,
                    "Y007",
                    "more than one YAML document in the file",
                    "remove the '---' separator: one definition or policy set per file",
                )
    return YamlDoc(root, locations)


def parse_yaml(text: str | bytes, path: str = "<string>") -> YamlDoc:
    """Parse YAML text safely, keeping locations.

    Args:
        text: The file content.
        path: File name used in diagnostics.

    Returns:
        The data and its locations.

    Raises:
        DefinitionError: With one located diagnostic when the text is refused.
    """
    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise DefinitionError(
            [
                Diagnostic(
                    path, 1, 1, "Y008", f"file is {size} bytes, over the 1 MiB limit", "split it"
                )
            ]
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            msg = f"file is not UTF-8 (byte {exc.start})"
            raise DefinitionError(
                [Diagnostic(path, 1, 1, "Y001", msg, "save it as UTF-8")]
            ) from None
    try:
        return _compose(text)
    except _RejectError as exc:
        raise DefinitionError(
            [Diagnostic(path, exc.line, exc.column, exc.code, exc.message, exc.hint)]
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        what = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise DefinitionError(
            [
                Diagnostic(
                    path,
                    line,
                    col,
                    "Y001",
                    f"invalid YAML: {what}",
                    "check indentation and quoting",
                )
            ]
        ) from None
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DefinitionError(
            [Diagnostic(path, 0, 0, "Y001", f"invalid YAML: {first}", "check the file's syntax")]
        ) from None
