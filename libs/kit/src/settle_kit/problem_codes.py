"""The problem codes a package can answer, read from its own source.

A code is written once, where it is raised (`NotFound("...", code="payment_not_found")`) or
declared (`class Conflict(ProblemError): ... code = "conflict"`). The OpenAPI document enumerates
the codes found here, so clients get the fixed set without a second list to keep in step with
the first. A code computed at run time would not be found; the schemathesis run, which checks
every answer against the document, refuses such a code, so codes stay literal.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from settle_kit.errors import ProblemError


def codes_of(packages: Iterable[str]) -> frozenset[str]:
    found: set[str] = {cls.code for cls in _problem_classes()}
    for package in packages:
        found |= _codes_in_package(package)
    return frozenset(found)


def _problem_classes() -> list[type[ProblemError]]:
    classes, pending = [], [ProblemError]
    while pending:
        cls = pending.pop()
        classes.append(cls)
        pending.extend(cls.__subclasses__())
    return classes


@cache
def _codes_in_package(package: str) -> frozenset[str]:
    module = importlib.import_module(package)
    root = Path(module.__file__).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if "tests" not in path.relative_to(root).parts:
            found |= _codes_in(ast.parse(path.read_text(), str(path)))
    return frozenset(found)


def _codes_in(tree: ast.AST) -> set[str]:
    """`code="..."` given to any call (a problem, or what makes one), and `x.code = "..."`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            found |= {_literal(k.value) for k in node.keywords if k.arg == "code"} - {None}
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "code" for t in node.targets):
            # `error.code = "a" if ... else "b"`
            found |= {n.value for n in ast.walk(node.value)
                      if isinstance(n, ast.Constant) and isinstance(n.value, str) and not _in_fstring(n, node.value)}
    return found


def _in_fstring(constant: ast.Constant, tree: ast.expr) -> bool:
    return any(isinstance(n, ast.JoinedStr) and constant in n.values for n in ast.walk(tree))


def _literal(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None
