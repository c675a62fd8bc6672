"""Benchmark the definition toolchain: validate + lint + compile 1,000 definitions.

The shipped YAML is parsed once (reported separately), then the shipped
definitions are validated (pydantic), linted (every check, expressions
type-checked) and compiled (plan + hash) over and over until ``--count``
definitions are done. Goal: 1,000 in under 2 s.

Run: ``.venv/bin/python bench/compile.py [--count 1000]``. Prints a table, then
as its last line one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from casework.errors import DefinitionError  # noqa: E402
from casework.language.compiler import compile_plan  # noqa: E402
from casework.language.lint import default_catalog, lint_definition  # noqa: E402
from casework.language.loader import (  # noqa: E402
    LoadedDefinition,
    expand_paths,
    load_doc,
    load_workspace,
)
from casework.language.model import ProcessDefinition  # noqa: E402
from casework.language.yamlsafe import YamlDoc, parse_yaml  # noqa: E402


def main() -> int:
    """Run the benchmark; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="definitions to process")
    parser.add_argument("--definitions", type=Path, default=ROOT / "definitions")
    parser.add_argument("--policies", type=Path, default=ROOT / "policies")
    args = parser.parse_args()

    files = expand_paths([args.definitions])
    t0 = time.perf_counter()
    docs: list[tuple[str, YamlDoc]] = [(str(f), parse_yaml(f.read_bytes(), str(f))) for f in files]
    parse_s = time.perf_counter() - t0

    ws = load_workspace([args.definitions, args.policies])  # policies and the process index
    errors = [d for d in ws.diagnostics if d.severity == "error"]
    if errors:
        raise DefinitionError(errors)
    policies = ws.policies
    processes: dict[str, set[int]] = {}
    for known in ws.definitions:
        processes.setdefault(known.model.process, set()).add(known.model.version)
    catalog = default_catalog()
    # warm up: the CEL parser is built once per process (~1 s), expressions parsed once per text
    for path, doc in docs:
        loaded = load_doc(doc, path)
        assert isinstance(loaded.model, ProcessDefinition)
        lint_definition(
            LoadedDefinition(path, loaded.model, doc.data, doc.locations),
            policies,
            processes=processes,
            catalog=catalog,
        )

    validate_s = lint_s = compile_s = 0.0
    done = diagnostics = 0
    hashes: set[str] = set()
    clock = time.process_time  # CPU time: the figures hold on a busy machine too
    wall = time.perf_counter()
    while done < args.count:
        for path, doc in docs:
            if done >= args.count:
                break
            a = clock()
            loaded = load_doc(doc, path)
            b = clock()
            model = loaded.model
            if not isinstance(model, ProcessDefinition):
                raise DefinitionError(loaded.diagnostics)
            found = lint_definition(
                LoadedDefinition(path, model, doc.data, doc.locations),
                policies,
                processes=processes,
                catalog=catalog,
            )
            c = clock()
            plan = compile_plan(model, policies, path=path)
            d = clock()
            validate_s += b - a
            lint_s += c - b
            compile_s += d - c
            diagnostics += len(found)
            hashes.add(plan.hash)
            done += 1
    total_s = validate_s + lint_s + compile_s
    wall_s = time.perf_counter() - wall

    def rate(seconds: float, n: int) -> float:
        return n / seconds if seconds > 0 else float("inf")

    rows = [
        ("parse (once)", parse_s, len(docs)),
        ("validate", validate_s, done),
        ("lint", lint_s, done),
        ("compile", compile_s, done),
        ("validate+lint+compile", total_s, done),
    ]
    print(f"{'phase (CPU time)':<24}{'defs':>7}{'seconds':>10}{'defs/s':>11}")
    for name, seconds, n in rows:
        print(f"{name:<24}{n:>7}{seconds:>10.3f}{rate(seconds, n):>11.0f}")
    limit = 2.0 * args.count / 1000
    goal = total_s < limit
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    print(
        f"wall clock for the loop: {wall_s:.3f} s ({len(docs)} files, {len(hashes)} hashes, "
        f"load average {load:.1f} on {os.cpu_count()} CPUs)"
    )
    print(f"goal: {args.count} definitions in under {limit:.1f} s: {'met' if goal else 'NOT met'}")
    figures = {
        "definitions": done,
        "files": len(docs),
        "parse_seconds": round(parse_s, 4),
        "validate_seconds": round(validate_s, 4),
        "lint_seconds": round(lint_s, 4),
        "compile_seconds": round(compile_s, 4),
        "total_seconds": round(total_s, 4),
        "wall_seconds": round(wall_s, 4),
        "load_average": round(load, 2),
        "definitions_per_second": round(rate(total_s, done), 1),
        "diagnostics": diagnostics,
        "goal_met": goal,
    }
    print(json.dumps(figures, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
