"""A small, pragmatic static type checker over celpy's lark parse tree.

Types are :class:`T` values. Anything the checker cannot tell is ``dyn`` and
accepted, so it only reports what is certainly wrong: unknown variables and
fields of closed maps (with a did-you-mean), operators applied to the wrong
kinds of values, comparisons between different types, ``in`` on a non-list.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

import lark

NUMERIC = frozenset({"int", "uint", "double"})
ORDERED = frozenset({"int", "uint", "double", "string", "timestamp", "duration", "bytes"})


@dataclass(frozen=True, slots=True)
class T:
    """A CEL type as far as the checker knows it.

    Attributes:
        name: ``dyn``, ``null``, ``bool``, ``int``, ``uint``, ``double``, ``string``,
            ``bytes``, ``timestamp``, ``duration``, ``list``, ``map`` or ``type``.
        elem: Element type of a list, value type of an open map.
        fields: Known keys of a map (``None``: an open map of ``elem`` values).
        label: Human name of a map, for messages (``case``, ``steps.triage.form``).
    """

    name: str
    elem: T | None = None
    fields: dict[str, T] | None = field(default=None, hash=False, compare=False)
    label: str = field(default="", compare=False)

    def __str__(self) -> str:
        if self.name == "list" and self.elem is not None and self.elem.name != "dyn":
            return f"list of {self.elem}"
        return self.name


_SIGNATURES: dict[int, tuple[T, tuple[Any, ...]]] = {}


def signature(t: T) -> tuple[Any, ...]:
    """A hashable structural summary of ``t`` (labels included: they appear in messages)."""
    hit = _SIGNATURES.get(id(t))
    if hit is not None and hit[0] is t:
        return hit[1]
    fields = (
        None if t.fields is None else tuple((k, signature(v)) for k, v in sorted(t.fields.items()))
    )
    sig = (t.name, signature(t.elem) if t.elem is not None else None, fields, t.label)
    if len(_SIGNATURES) > 65536:
        _SIGNATURES.clear()
    _SIGNATURES[id(t)] = (t, sig)
    return sig


DYN = T("dyn")
NULL = T("null")
BOOL = T("bool")
INT = T("int")
DOUBLE = T("double")
STRING = T("string")
TIMESTAMP = T("timestamp")
DURATION = T("duration")


def list_of(elem: T) -> T:
    """A list of ``elem``."""
    return T("list", elem=elem)


def record(fields: dict[str, T], label: str) -> T:
    """A map with exactly these keys (unknown keys are reported)."""
    return T("map", fields=fields, label=label)


def open_map(value: T = DYN) -> T:
    """A map with any keys."""
    return T("map", elem=value)


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem found in an expression (line/column 1-based inside the expression text)."""

    line: int
    column: int
    code: str
    message: str
    hint: str = ""


_LITERALS = {
    "INT_LIT": INT,
    "UINT_LIT": T("uint"),
    "FLOAT_LIT": DOUBLE,
    "STRING_LIT": STRING,
    "MLSTRING_LIT": STRING,
    "BYTES_LIT": T("bytes"),
    "BOOL_LIT": BOOL,
    "NULL_LIT": NULL,
}
_FUNCTIONS: dict[str, T] = {
    "size": INT,
    "int": INT,
    "uint": T("uint"),
    "double": DOUBLE,
    "string": STRING,
    "bool": BOOL,
    "bytes": T("bytes"),
    "timestamp": TIMESTAMP,
    "duration": DURATION,
    "dyn": DYN,
    "type": T("type"),
    "has": BOOL,
    "matches": BOOL,
    "contains": BOOL,
    "startsWith": BOOL,
    "endsWith": BOOL,
}
_METHODS: dict[str, T] = {
    "size": INT,
    "contains": BOOL,
    "startsWith": BOOL,
    "endsWith": BOOL,
    "matches": BOOL,
    "getDate": INT,
    "getDayOfMonth": INT,
    "getDayOfWeek": INT,
    "getDayOfYear": INT,
    "getFullYear": INT,
    "getMonth": INT,
    "getHours": INT,
    "getMilliseconds": INT,
    "getMinutes": INT,
    "getSeconds": INT,
}
_LINKS = frozenset(
    {
        "expr",
        "conditionalor",
        "conditionaland",
        "relation",
        "addition",
        "multiplication",
        "unary",
        "member",
        "primary",
        "paren_expr",
    }
)
_MACROS = frozenset({"exists", "all", "exists_one", "map", "filter"})
OPERATORS = _OPS = {
    "relation_lt": "<",
    "relation_le": "<=",
    "relation_gt": ">",
    "relation_ge": ">=",
    "relation_eq": "==",
    "relation_ne": "!=",
    "relation_in": "in",
    "addition_add": "+",
    "addition_sub": "-",
    "multiplication_mul": "*",
    "multiplication_div": "/",
    "multiplication_mod": "%",
}


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""


def _known(t: T) -> bool:
    return t.name not in ("dyn", "null")


def _same(a: T, b: T) -> bool:
    return a.name == b.name or not _known(a) or not _known(b) or {a.name, b.name} <= NUMERIC


def _mix_hint(a: T, b: T) -> str:
    if "string" in (a.name, b.name) and {a.name, b.name} & NUMERIC:
        return "quote numbers only when the field is a string; convert with int(...) or string(...)"
    return ""


def _trees(items: list[Any]) -> list[lark.Tree[Any]]:
    return [c for c in items if isinstance(c, lark.Tree)]


class Checker:
    """Infers the type of a parse tree, collecting :class:`Issue` s."""

    def __init__(self, variables: dict[str, T]) -> None:
        self.variables = variables
        self.scopes: list[dict[str, T]] = []
        self.issues: list[Issue] = []

    def report(self, node: Any, code: str, message: str, hint: str = "") -> None:
        """Record an issue at ``node``'s position."""
        meta = getattr(node, "meta", None)
        line = getattr(meta, "line", None) or getattr(node, "line", None) or 1
        col = getattr(meta, "column", None) or getattr(node, "column", None) or 1
        self.issues.append(Issue(line, col, code, message, hint))

    def expect(self, node: lark.Tree[Any], want: str, what: str) -> T:
        """Infer ``node`` and report when it is certainly not of type ``want``."""
        got = self.infer(node)
        if _known(got) and got.name != want:
            self.report(node, "E403", f"{what} needs {want}, got {got}", _mix_hint(got, T(want)))
        return got

    def infer(self, node: lark.Tree[Any]) -> T:
        """Return the type of ``node``."""
        # most nodes are single-child links of the grammar's precedence chain: skip them
        while node.data in _LINKS and len(node.children) == 1:
            child = node.children[0]
            if not isinstance(child, lark.Tree):
                break
            node = child
        method = getattr(self, "_" + node.data, None)
        if method is None:
            for child in _trees(node.children):
                self.infer(child)
            return DYN
        result: T = method(node)
        return result

    # -- logic ---------------------------------------------------------------
    def _expr(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        if len(kids) == 1:
            return self.infer(kids[0])
        self.expect(kids[0], "bool", "the condition of '? :'")
        a, b = self.infer(kids[1]), self.infer(kids[2])
        return a if a == b else DYN

    def _logic(self, node: lark.Tree[Any], op: str) -> T:
        kids = _trees(node.children)
        if len(kids) == 1:
            return self.infer(kids[0])
        for kid in kids:
            self.expect(kid, "bool", f"'{op}'")
        return BOOL

    def _conditionalor(self, node: lark.Tree[Any]) -> T:
        return self._logic(node, "||")

    def _conditionaland(self, node: lark.Tree[Any]) -> T:
        return self._logic(node, "&&")

    def _unary(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        if len(kids) == 1:
            return self.infer(kids[0])
        op, operand = kids[0], kids[1]
        if op.data == "unary_not":
            self.expect(operand, "bool", "'!'")
            return BOOL
        got = self.infer(operand)
        if _known(got) and got.name not in NUMERIC | {"duration"}:
            self.report(operand, "E403", f"'-' needs a number, got {got}")
            return DYN
        return got

    # -- binary operators ------------------------------------------------------
    def _binary(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        if len(kids) == 1:
            return self.infer(kids[0])
        op_tree, right_tree = kids[0], kids[1]
        op = _OPS.get(str(op_tree.data), "?")
        left = self.infer(_trees(op_tree.children)[0])
        right = self.infer(right_tree)
        return self._apply(op, left, right, node)

    _relation = _addition = _multiplication = _binary

    def _apply(self, op: str, a: T, b: T, node: lark.Tree[Any]) -> T:
        if op in ("==", "!="):
            if not _same(a, b):
                self.report(node, "E403", f"'{op}' compares {a} with {b}", _mix_hint(a, b))
            return BOOL
        if op == "in":
            if _known(b) and b.name not in ("list", "map"):
                self.report(node, "E403", f"'in' needs a list or map on the right, got {b}")
            elif b.name == "list" and b.elem is not None and not _same(a, b.elem):
                self.report(node, "E403", f"'in' looks for {a} in a {b}", _mix_hint(a, b.elem))
            return BOOL
        if op in ("<", "<=", ">", ">="):
            if _known(a) and a.name not in ORDERED:
                self.report(node, "E403", f"'{op}' cannot order {a} values")
            elif not _same(a, b):
                self.report(node, "E403", f"'{op}' compares {a} with {b}", _mix_hint(a, b))
            return BOOL
        if not (_known(a) and _known(b)):
            return DYN
        pair = (a.name, b.name)
        if {a.name, b.name} <= NUMERIC and (op != "%" or "double" not in pair):
            return DOUBLE if "double" in pair else a
        if op == "+":
            if a.name == b.name and a.name in ("string", "list", "bytes", "duration"):
                return a if a.name != "list" else list_of(DYN)
            if pair in (("timestamp", "duration"), ("duration", "timestamp")):
                return TIMESTAMP
        elif op == "-":
            if a.name == b.name == "duration":
                return a
            if pair == ("timestamp", "timestamp"):
                return DURATION
            if pair == ("timestamp", "duration"):
                return TIMESTAMP
        self.report(node, "E403", f"'{op}' cannot combine {a} and {b}", _mix_hint(a, b))
        return DYN

    # -- members ---------------------------------------------------------------
    def _member(self, node: lark.Tree[Any]) -> T:
        return self.infer(_trees(node.children)[0])

    def _primary(self, node: lark.Tree[Any]) -> T:
        return self.infer(_trees(node.children)[0])

    def _paren_expr(self, node: lark.Tree[Any]) -> T:
        return self.infer(_trees(node.children)[0])

    def _literal(self, node: lark.Tree[Any]) -> T:
        token = node.children[0]
        return _LITERALS.get(getattr(token, "type", ""), DYN)

    def _ident(self, node: lark.Tree[Any]) -> T:
        name = str(node.children[0])
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            return self.variables[name]
        names = sorted(self.variables) + [n for s in self.scopes for n in s]
        self.report(
            node,
            "E402",
            f"unknown variable '{name}'",
            _hint(name, names) or f"available here: {', '.join(sorted(self.variables))}",
        )
        return DYN

    def _member_dot(self, node: lark.Tree[Any]) -> T:
        base_tree, token = node.children[0], node.children[1]
        base = self.infer(base_tree)
        name = str(token)
        if base.name == "map":
            if base.fields is not None:
                if name in base.fields:
                    return base.fields[name]
                self._unknown_field(token, name, base)
                return DYN
            return base.elem or DYN
        if _known(base):
            self.report(token, "E403", f"'.{name}' on a {base} value: only maps have fields")
        return DYN

    def _unknown_field(self, at: Any, name: str, base: T) -> None:
        fields = sorted(base.fields or {})
        dashed = [f for f in fields if f.startswith(f"{name}-")]
        if dashed:
            hint = f"an id with '-' needs brackets: {base.label or 'map'}['{dashed[0]}']"
        else:
            hint = _hint(name, fields) or (f"known: {', '.join(fields)}" if fields else "")
        self.report(at, "E402", f"unknown field '{name}' in {base.label or 'this map'}", hint)

    def _member_index(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        base, index = self.infer(kids[0]), self.infer(kids[1])
        key = _string_literal(kids[1])
        if base.name == "map" and base.fields is not None and key is not None:
            if key in base.fields:
                return base.fields[key]
            self._unknown_field(kids[1], key, base)
            return DYN
        if base.name == "list":
            if _known(index) and index.name not in ("int", "uint"):
                self.report(kids[1], "E403", f"a list index must be int, got {index}")
            return base.elem or DYN
        if base.name == "map":
            if base.fields is not None:
                return DYN
            return base.elem or DYN
        if _known(base):
            self.report(node, "E403", f"'[...]' on a {base} value: only lists and maps")
        return DYN

    def _member_object(self, node: lark.Tree[Any]) -> T:
        for child in _trees(node.children)[1:]:
            self.infer(child)
        return DYN

    def _args(self, node: lark.Tree[Any], at: int) -> list[lark.Tree[Any]]:
        rest = [c for c in node.children[at:] if isinstance(c, lark.Tree)]
        return _trees(rest[0].children) if rest else []

    def _member_dot_arg(self, node: lark.Tree[Any]) -> T:
        base = self.infer(node.children[0])
        name = str(node.children[1])
        args = self._args(node, 2)
        if name in _MACROS and len(args) >= 2:
            var = _ident_name(args[0])
            if var is None:
                self.report(args[0], "E401", f"the first argument of {name}() must be a name")
                return DYN
            elem = base.elem if base.name == "list" and base.elem else DYN
            if base.name == "map":
                elem = STRING if base.fields is not None else DYN
            elif _known(base) and base.name != "list":
                self.report(node, "E403", f"{name}() needs a list or map, got {base}")
            self.scopes.append({var: elem})
            try:
                body = self.infer(args[-1])
            finally:
                self.scopes.pop()
            if name == "map":
                return list_of(body)
            if name == "filter":
                return list_of(elem)
            if _known(body) and body.name != "bool":
                self.report(args[-1], "E403", f"{name}() needs a condition, got {body}")
            return BOOL
        for a in args:
            self.infer(a)
        strings_only = name in ("startsWith", "endsWith", "matches")
        if strings_only and _known(base) and base.name != "string":
            self.report(node, "E403", f"{name}() needs a string, got {base}")
        return _METHODS.get(name, DYN)

    def _ident_arg(self, node: lark.Tree[Any]) -> T:
        name = str(node.children[0])
        args = self._args(node, 1)
        if name not in _FUNCTIONS:
            self.report(node, "E402", f"unknown function '{name}'", _hint(name, sorted(_FUNCTIONS)))
        for a in args:
            self.infer(a)
        return _FUNCTIONS.get(name, DYN)

    def _dot_ident(self, node: lark.Tree[Any]) -> T:
        return DYN

    def _list_lit(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        items = [self.infer(x) for x in _trees(kids[0].children)] if kids else []
        known = {t.name for t in items if _known(t)}
        if len(known) == 1:
            return list_of(next(t for t in items if _known(t)))
        return list_of(DYN)

    def _map_lit(self, node: lark.Tree[Any]) -> T:
        kids = _trees(node.children)
        if kids:
            for x in _trees(kids[0].children):
                self.infer(x)
        return open_map()


def _string_literal(node: lark.Tree[Any]) -> str | None:
    """The value when ``node`` is nothing but a simple quoted string literal."""
    current: Any = node
    while isinstance(current, lark.Tree):
        if current.data == "literal":
            token = current.children[0]
            text = str(token)
            if (
                getattr(token, "type", "") == "STRING_LIT"
                and "\\" not in text
                and text[:1] in "'\""
            ):
                return text[1:-1]
            return None
        kids = _trees(current.children)
        if len(kids) != 1:
            return None
        current = kids[0]
    return None


def _ident_name(node: lark.Tree[Any]) -> str | None:
    """The name when ``node`` is nothing but a bare identifier."""
    current: Any = node
    while isinstance(current, lark.Tree):
        if current.data == "ident":
            return str(current.children[0])
        kids = _trees(current.children)
        if len(kids) != 1 or len(current.children) != 1:
            return None
        current = kids[0]
    return None


def check(
    tree: lark.Tree[Any], variables: dict[str, T], expect: T | None = None
) -> tuple[T, list[Issue]]:
    """Type-check a parse tree.

    Args:
        tree: The tree from celpy's parser.
        variables: The variables in scope and their types.
        expect: The type the expression must have (``None``: anything).

    Returns:
        The inferred type and the issues found.
    """
    checker = Checker(variables)
    got = checker.infer(tree)
    if expect is not None and _known(expect) and _known(got) and not assignable(got, expect):
        checker.report(tree, "E403", f"expected {expect}, got {got}", _mix_hint(got, expect))
    return got, checker.issues


def assignable(got: T, want: T) -> bool:
    """Whether a value of type ``got`` can stand where ``want`` is expected."""
    if not (_known(got) and _known(want)):
        return True
    if got.name == want.name:
        return True
    return got.name in ("int", "uint") and want.name == "double"
