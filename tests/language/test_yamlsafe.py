"""Safe, located YAML: locations, YAML 1.2 booleans, and every refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.errors import DefinitionError
from casework.language.yamlsafe import MAX_ALIASES, MAX_BYTES, MAX_DEPTH, parse_yaml


def _refuse(text: str | bytes) -> tuple[str, int, int]:
    with pytest.raises(DefinitionError) as info:
        parse_yaml(text, "f.yaml")
    [d] = info.value.diagnostics
    assert d.path == "f.yaml"
    return d.code, d.line, d.column


def test_data_and_locations() -> None:
    doc = parse_yaml("a: 1\nsteps:\n  - id: s1\n    next: s2\n  - {id: s2, when: [1, 2.5]}\n")
    assert doc.data == {
        "a": 1,
        "steps": [{"id": "s1", "next": "s2"}, {"id": "s2", "when": [1, 2.5]}],
    }
    loc = doc.locations
    assert loc[("a",)] == (1, 1)
    assert loc[("steps", 0)] == (3, 5)
    assert loc[("steps", 0, "next")] == (4, 5)
    assert loc[("steps", 1, "when", 1)] == (5, 24)
    assert loc.find(("steps", 0, "next", "deeper")) == (4, 5)
    assert loc.find(("nope",)) == (1, 1)
    assert loc.value_at(("steps", 0, "next")) == (4, 11, "")


def test_yaml_12_booleans_and_scalars() -> None:
    doc = parse_yaml(
        "on: {approved: x}\nno: yes\nt: true\nf: False\nn: null\nd: 2026-12-25\ns: '1'\n"
    )
    assert doc.data == {
        "on": {"approved": "x"},
        "no": "yes",
        "t": True,
        "f": False,
        "n": None,
        "d": dt.date(2026, 12, 25),
        "s": "1",
    }


def test_scalar_aliases_are_allowed() -> None:
    assert parse_yaml("a: &x hello\nb: *x\n").data == {"a": "hello", "b": "hello"}


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", "Y002", 3),
        ("a: !!python/object/apply:os.system [ls]\n", "Y003", 1),
        ("a: !!python/name:os.system\n", "Y003", 1),
        ("a: !custom 1\n", "Y003", 1),
        ("a: !!set {x, y}\n", "Y003", 1),
        ("a: !!binary aGk=\n", "Y003", 1),
        ("x: &a [1, 2]\ny: *a\n", "Y004", 2),
        ("x: &a {k: v}\n<<: *a\n", "Y004", 2),
        ("a: *nope\n", "Y004", 1),
        ("1: one\n", "Y005", 1),
        ("true: yes\n", "Y005", 1),
        ("? [a]\n: b\n", "Y005", 1),
        ("a: 1\n---\nb: 2\n", "Y007", 2),
        ("a: [1, 2\n", "Y001", 2),
        ("a:\n\tb: 1\n", "Y001", 2),
    ],
)
def test_refusals_are_located(text: str, code: str, line: int) -> None:
    got = _refuse(text)
    assert got[:2] == (code, line), got


def test_alias_bomb_is_refused() -> None:
    lines = ["a0: &a0 lol"] + [f"a{i}: *a0" for i in range(1, MAX_ALIASES + 5)]
    assert _refuse("\n".join(lines))[0] == "Y004"
    bomb = 'a: &a ["lol","lol"]\nb: &b [*a,*a]\nc: &c [*b,*b]\n'
    assert _refuse(bomb)[0] == "Y004"


def test_deep_nesting_is_refused() -> None:
    assert _refuse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))[0] == "Y006"
    assert _refuse("[" * 100_000)[0] in ("Y006", "Y001")
    nested = "".join(f"{'  ' * i}k{i}:\n" for i in range(MAX_DEPTH + 2))
    assert _refuse(nested)[0] == "Y006"


def test_big_file_is_refused() -> None:
    assert _refuse("a: " + "x" * MAX_BYTES)[0] == "Y008"


def test_not_utf8_is_refused() -> None:
    assert _refuse(b"a: \xff\xfe\n")[0] == "Y001"


def test_empty_document() -> None:
    assert parse_yaml("").data is None
    assert parse_yaml("# only a comment\n").data is None
