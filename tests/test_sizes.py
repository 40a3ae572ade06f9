"""Sizes that read in one sitting: no module over 400 lines, no long function without a reason.

A module counts every line of its file. A function counts the lines of code of its body:
non-blank, non-comment lines, its docstring excluded (nested functions count inside their
parent too). Over 40 such lines, the docstring must say why, in a sentence that starts with
"Long because" (the convention stated in the README's Code map). Migrations are generated
and not counted.

``PENDING`` may name a long function or module that a branch in flight is splitting; the
test fails when an entry is no longer long, so the list can only shrink. It is empty.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "scoring"
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 40
REASON = "Long because"
PENDING: set[str] = set()  # every branch of issue 14 has merged: nothing waits


def _modules() -> list[Path]:
    return [p for p in sorted(ROOT.rglob("*.py")) if "migrations" not in p.parts]


def body_lines(source_lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Return the lines of code of a function's body (no blanks, comments or docstring)."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]
    if not body:
        return 0
    lines = source_lines[body[0].lineno - 1:node.end_lineno]
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def long_functions(source: str, name: str) -> list[tuple[str, int, bool]]:
    """Return (``file:function``, lines, gives a reason) for each function over the limit."""
    lines = source.splitlines()
    out = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            n = body_lines(lines, node)
            if n > MAX_FUNCTION_LINES:
                reason = REASON in (ast.get_docstring(node) or "")
                out.append((f"{name}:{node.name}", n, reason))
    return out


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_module_over_400_lines():
    sizes = {_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    bad = sorted(f"{name} ({n})" for name, n in sizes.items()
                 if n > MAX_MODULE_LINES and name not in PENDING)
    assert not bad, f"modules over {MAX_MODULE_LINES} lines (split by what they do): {bad}"


def test_no_function_over_40_lines_without_a_reason():
    found = [f for p in _modules() for f in long_functions(p.read_text(encoding="utf-8"),
                                                           _name(p))]
    bad = sorted(f"{name} ({n})" for name, n, reason in found
                 if not reason and name not in PENDING)
    assert not bad, (f"functions over {MAX_FUNCTION_LINES} lines of code without a sentence "
                     f"starting {REASON!r} in their docstring: {bad}")


def test_pending_entries_are_still_long():
    sizes = {_name(p): len(p.read_text(encoding="utf-8").splitlines()) for p in _modules()}
    found = {name for p in _modules()
             for name, _, reason in long_functions(p.read_text(encoding="utf-8"), _name(p))
             if not reason}
    done = sorted(e for e in PENDING
                  if (e not in found if ":" in e else sizes.get(e, 0) <= MAX_MODULE_LINES))
    assert not done, f"no longer long: remove from PENDING: {done}"


def test_the_count_skips_blanks_comments_and_the_docstring():
    source = ('def f():\n    """Doc.\n\n    More.\n    """\n    # why\n\n    a = 1\n'
              '    return a\n\n\ndef g():\n    """Long because it must be.\n\n    Yes."""\n'
              + "".join(f"    x{i} = {i}\n" for i in range(41)))
    assert body_lines(source.splitlines(), ast.parse(source).body[0]) == 2
    assert long_functions(source, "m.py") == [("m.py:g", 41, True)]
