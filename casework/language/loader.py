"""Load definition and policy files into models, with located diagnostics.

A file with a top-level ``process:`` key is a definition; any other mapping is
a policy file. :func:`load_workspace` loads whole directories and merges the
policies into a :class:`~casework.language.policyset.PolicySet`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from casework.errors import DefinitionError, Diagnostic
from casework.language._errors import did_you_mean, validation_diagnostics
from casework.language.model import STEP_KINDS, ProcessDefinition
from casework.language.policies import PolicyFile
from casework.language.policyset import PolicySet
from casework.language.yamlsafe import Locations, YamlDoc, parse_yaml, quoted
from casework.language.yamlsafe import Path as DataPath

__all__ = [
    "LoadedFile",
    "PolicySet",
    "Workspace",
    "load_file",
    "load_text",
    "load_workspace",
]

FileKind = Literal["definition", "policy"]


@dataclass(slots=True)
class LoadedFile:
    """One loaded file.

    Attributes:
        path: File name as given.
        kind: ``definition`` or ``policy`` (decided by content).
        model: The validated model, or None when it has errors.
        data: The plain data read from YAML (None when unreadable).
        locations: Where each key is.
        diagnostics: Problems found while loading.
    """

    path: str
    kind: FileKind
    model: ProcessDefinition | PolicyFile | None
    data: Any
    locations: Locations
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(slots=True)
class LoadedDefinition:
    """A definition that loaded without errors."""

    path: str
    model: ProcessDefinition
    data: Any
    locations: Locations


@dataclass(slots=True)
class Workspace:
    """Everything loaded from a set of files and directories.

    Attributes:
        files: Every file, in load order.
        definitions: The definitions that validated.
        policies: The merged policies of the policy files that validated.
        diagnostics: Loading problems of every file (lint adds its own).
    """

    files: list[LoadedFile]
    definitions: list[LoadedDefinition]
    policies: PolicySet
    diagnostics: list[Diagnostic]


def _check_kinds(
    steps: Any,
    path: DataPath,
    locations: Locations,
    file: str,
    out: list[Diagnostic],
    skip: set[DataPath],
) -> None:
    """Report missing or unknown step kinds before pydantic (its message is poor)."""
    if not isinstance(steps, list):
        return
    for i, step in enumerate(steps):
        here = (*path, i)
        if not isinstance(step, dict):
            continue
        kind = step.get("kind")
        sid = step.get("id", "?")
        if kind is None:
            line, col = locations.find(here)
            out.append(
                Diagnostic(
                    file,
                    line,
                    col,
                    "V105",
                    f"step {quoted(sid)} has no 'kind'",
                    f"add 'kind:' with one of: {', '.join(STEP_KINDS)}",
                )
            )
            skip.add(here)
        elif kind not in STEP_KINDS:
            line, col = locations.find((*here, "kind"))
            hint = did_you_mean(str(kind), STEP_KINDS) or f"use one of: {', '.join(STEP_KINDS)}"
            out.append(
                Diagnostic(
                    file,
                    line,
                    col,
                    "V104",
                    f"unknown step kind {quoted(kind)} in step {quoted(sid)}",
                    hint,
                )
            )
            skip.add(here)
        elif kind == "parallel" and isinstance(step.get("branches"), list):
            for j, branch in enumerate(step["branches"]):
                if isinstance(branch, dict):
                    _check_kinds(
                        branch.get("steps"),
                        (*here, "branches", j, "steps"),
                        locations,
                        file,
                        out,
                        skip,
                    )


def load_doc(doc: YamlDoc, path: str) -> LoadedFile:
    """Validate already-parsed YAML as a definition or policy file."""
    data = doc.data
    kind: FileKind = "definition" if isinstance(data, dict) and "process" in data else "policy"
    loaded = LoadedFile(path, kind, None, data, doc.locations)
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        loaded.diagnostics.append(
            Diagnostic(
                path,
                1,
                1,
                "V106",
                f"file is {what}",
                "a definition starts with 'process:', a policy file with 'calendars:' etc.",
            )
        )
        return loaded
    skip: set[DataPath] = set()
    cls: type[BaseModel]
    if kind == "definition":
        _check_kinds(data.get("steps"), ("steps",), doc.locations, path, loaded.diagnostics, skip)
        cls = ProcessDefinition
    else:
        cls = PolicyFile
    try:
        loaded.model = cls.model_validate(data)  # type: ignore[assignment,unused-ignore]
    except ValidationError as exc:
        loaded.diagnostics.extend(validation_diagnostics(exc, cls, data, doc.locations, path, skip))
        if not loaded.diagnostics:  # every error was under an already-reported bad step
            loaded.diagnostics.append(Diagnostic(path, 1, 1, "V103", "invalid file"))
    else:
        if loaded.diagnostics:
            loaded.model = None
    return loaded


def load_text(text: str | bytes, path: str = "<string>") -> LoadedFile:
    """Parse and validate one file's content; never raises for bad content."""
    try:
        doc = parse_yaml(text, path)
    except DefinitionError as exc:
        return LoadedFile(path, "policy", None, None, Locations(), list(exc.diagnostics))
    return load_doc(doc, path)


def load_file(path: Path | str) -> LoadedFile:
    """Read and validate one file.

    Raises:
        DefinitionError: When the file cannot be read at all.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DefinitionError(
            [
                Diagnostic(
                    str(p), 0, 0, "V100", f"cannot read file: {exc.strerror}", "check the path"
                )
            ]
        ) from None
    return load_text(raw, str(p))


def expand_paths(paths: Iterable[Path | str]) -> list[Path]:
    """Files of ``paths``: directories give their ``*.yaml``/``*.yml`` files, sorted.

    Raises:
        DefinitionError: When a path does not exist.
    """
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                sorted(x for x in p.iterdir() if x.suffix in (".yaml", ".yml") and x.is_file())
            )
        elif p.is_file():
            out.append(p)
        else:
            raise DefinitionError(
                [Diagnostic(str(p), 0, 0, "V100", "no such file or directory", "check the path")]
            )
    return out


def _duplicates(files: Sequence[LoadedFile]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    seen: dict[tuple[str, str], str] = {}
    sections = (
        "calendars",
        "sla_policies",
        "escalation_ladders",
        "routing_rules",
        "approval_rules",
    )
    for f in files:
        if f.kind == "definition" and isinstance(f.model, ProcessDefinition):
            key = ("process", f"{f.model.process}@{f.model.version}")
            line, col = f.locations.find(("version",))
            if key in seen:
                out.append(
                    Diagnostic(
                        f.path,
                        line,
                        col,
                        "V108",
                        f"process '{f.model.process}' version {f.model.version} "
                        f"is also defined in {seen[key]}",
                        "bump 'version:' for a new version",
                    )
                )
            seen.setdefault(key, f.path)
        elif isinstance(f.model, PolicyFile):
            for section in sections:
                for i, item in enumerate(getattr(f.model, section)):
                    key = (section, item.name)
                    if key in seen:
                        line, col = f.locations.find((section, i, "name"))
                        out.append(
                            Diagnostic(
                                f.path,
                                line,
                                col,
                                "V107",
                                f"{section} '{item.name}' is also defined in {seen[key]}",
                                "rename one of them",
                            )
                        )
                    seen.setdefault(key, f.path)
    return out


def load_workspace(paths: Iterable[Path | str]) -> Workspace:
    """Load every file under ``paths`` (files or directories of YAML).

    Returns:
        The workspace; it always loads, problems are in ``diagnostics``.

    Raises:
        DefinitionError: When a path does not exist or cannot be read.
    """
    files = [load_file(p) for p in expand_paths(paths)]
    diagnostics = [d for f in files for d in f.diagnostics]
    diagnostics.extend(_duplicates(files))
    policies = PolicySet.merge(f.model for f in files if isinstance(f.model, PolicyFile))
    definitions = [
        LoadedDefinition(f.path, f.model, f.data, f.locations)
        for f in files
        if isinstance(f.model, ProcessDefinition)
    ]
    return Workspace(files, definitions, policies, diagnostics)
