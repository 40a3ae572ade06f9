"""The layering test: the pure core imports nothing of the web app or its database.

Pure core: the statistics (``scoring/stats``), the rubric engine (``scoring/rubrics/`` and
its ``_rubric_*`` modules), the charts (``scoring/charts/``), the one band table
(``scoring/rules/bands.py``) and the pure visibility rule ``scoring.rules.visibility.decide``.
Each pure module's imports are read from its source (AST), so a lazy import inside a function
is caught too; the statistics may import only the standard library, numpy, scipy, narwhals
(for a caller's DataFrame) and themselves. ``decide`` lives in a module whose wrappers query
the database, so for it the names the function (and the module-level functions and classes it
uses, transitively) reads are checked instead of the whole module. A subprocess checks that
importing the pure core loads no web or database package, and one statistic fact is kept in
one place: the normal quantile of a 95 % interval is computed in ``scoring/stats`` only. Last,
no import cycle among scoring's modules (the rule is stated above the test).
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "scoring"
WEB_OR_DB = ("flask", "flask_", "sqlalchemy", "werkzeug", "jinja2", "wtforms", "babel",
             "scoring.web", "scoring.models", "scoring.workflow", "scoring.extensions",
             "scoring.rules.visibility", "scoring.database", "scoring.db")
STATS_THIRD_PARTY = ("numpy", "scipy", "narwhals")
# test oracles and heavy readers never enter the statistics core
STATS_FORBIDDEN = ("pandas", "polars", "pingouin", "krippendorff", "statsmodels")


def _modules(*patterns: str) -> list[Path]:
    """Return the .py files matching `patterns` under scoring/ (a module or a package)."""
    out: list[Path] = []
    for pattern in patterns:
        out += sorted(ROOT.glob(pattern))
    return sorted(set(out))


STATS = _modules("stats/**/*.py")
RUBRICS = _modules("rubrics.py", "rubrics/**/*.py", "_rubric*.py")
CHARTS = _modules("charts.py", "charts/**/*.py", "wright_map.py")
PURE_RULES = _modules("rules/bands.py")  # the one band table
PURE = [*STATS, *RUBRICS, *CHARTS, *PURE_RULES]


def _package(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1])  # the package the module lives in (for relative imports)


def _imports(path: Path, package: str | None = None):
    """Yield (line, absolute module name) for every import in `path`, nested ones included."""
    tree = ast.parse(path.read_text(), str(path))
    package = _package(path) if package is None else package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                if node.module:
                    yield node.lineno, f"{base}.{node.module}"
                else:  # from . import name: the module imported is base.name
                    for alias in node.names:
                        yield node.lineno, f"{base}.{alias.name}"
            else:
                yield node.lineno, node.module or ""


def _web_or_db(name: str) -> bool:
    return name.startswith(WEB_OR_DB) or name.split(".")[0] in ("flask", "sqlalchemy")


def _stats_allowed(name: str) -> bool:
    top = name.split(".")[0]
    if _web_or_db(name) or top in STATS_FORBIDDEN:
        return False
    if top == "scoring":
        return name == "scoring.stats" or name.startswith("scoring.stats.")
    return top in STATS_THIRD_PARTY or top in sys.stdlib_module_names or top == "__future__"


def _core_allowed(name: str, own: tuple[str, ...]) -> bool:
    """Rubrics and charts: stdlib, PyYAML and their own modules; nothing else of scoring."""
    top = name.split(".")[0]
    if _web_or_db(name):
        return False
    if top == "scoring":
        return name.startswith(own)
    return top in sys.stdlib_module_names or top in ("__future__", "yaml")


def _ids(p: Path) -> str:
    return str(p.relative_to(ROOT))


@pytest.mark.parametrize("path", STATS, ids=_ids)
def test_stats_import_only_stdlib_numpy_scipy_narwhals_and_themselves(path):
    bad = [f"{_ids(path)}:{line} imports {name}" for line, name in _imports(path)
           if not _stats_allowed(name)]
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("path", RUBRICS, ids=_ids)
def test_rubric_engine_imports_nothing_of_the_app(path):
    own = ("scoring.rubrics", "scoring._rubric")
    bad = [f"{_ids(path)}:{line} imports {name}" for line, name in _imports(path)
           if not _core_allowed(name, own)]
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("path", CHARTS, ids=_ids)
def test_charts_import_nothing_of_the_app(path):
    own = ("scoring.charts", "scoring.charts.wright_map")
    bad = [f"{_ids(path)}:{line} imports {name}" for line, name in _imports(path)
           if not _core_allowed(name, own)]
    assert not bad, "; ".join(bad)


@pytest.mark.parametrize("path", PURE_RULES, ids=_ids)
def test_the_pure_rules_import_nothing_of_the_app(path):
    bad = [f"{_ids(path)}:{line} imports {name}" for line, name in _imports(path)
           if not _core_allowed(name, ("scoring.rules.bands",))]
    assert not bad, "; ".join(bad)


def _function_dependencies(func) -> tuple[Path, set[str], dict[str, str]]:
    """Return (module file, names `func` reads transitively, the module's imported names).

    Starting from `func`, every name it loads is followed into the module-level function or
    class of that name (their bodies, decorators and defaults), until nothing new appears.
    Annotations are not followed: they are strings here (``from __future__ import
    annotations``) and never run.
    """
    path = Path(inspect.getsourcefile(func))
    tree = ast.parse(path.read_text(), str(path))
    defs = {n.name: n for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)}
    imported: dict[str, str] = {}
    package = func.__module__.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)] + ([base] if base else []))
            for alias in node.names:
                imported[alias.asname or alias.name] = f"{base}.{alias.name}"
    seen: set[str] = set()
    todo = [func.__name__]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        node = defs.get(name)
        if node is None:
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.arg | ast.AnnAssign):
                continue
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Load):
                todo.append(sub.id)
    return path, seen, imported


def test_the_pure_visibility_rule_reads_nothing_of_the_database():
    from scoring.rules.visibility import decide

    path, names, imported = _function_dependencies(decide)
    used = {n: imported[n] for n in names if n in imported}
    bad = sorted(f"{n} ({module})" for n, module in used.items() if _web_or_db(module)
                 or module.startswith(("scoring.models", "scoring.extensions")))
    assert not bad, f"decide in {path.name} depends on the database layer through {bad}"
    assert {"Decision", "outstanding"} <= names  # the walk follows the module's own helpers


def test_the_pure_core_imports_without_the_web_stack():
    modules = ["scoring.stats", "scoring.rubrics"] + [
        "scoring." + ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in CHARTS if p.name != "__init__.py"]
    probe = (f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
             "bad = [m for m in ('flask', 'sqlalchemy', 'werkzeug', 'jinja2') "
             "if m in sys.modules]; sys.exit(', '.join(bad) or 0)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, f"importing the pure core loaded: {result.stderr}"


Z_CONSTANT = re.compile(r"\bZ95\b|1\.95996|\b1\.96\b")


def test_the_95_percent_quantile_is_computed_in_stats_only():
    outside = [p for p in ROOT.rglob("*.py") if "stats" not in p.relative_to(ROOT).parts]
    bad = [f"{_ids(p)}:{i}" for p in outside
           for i, line in enumerate(p.read_text().splitlines(), 1) if Z_CONSTANT.search(line)]
    assert not bad, f"a normal quantile outside scoring/stats (use its intervals): {bad}"


def test_the_check_sees_every_part_of_the_core():
    names = {_ids(p) for p in PURE}
    assert {"stats/__init__.py", "stats/icc.py", "stats/mfrm.py", "stats/effects.py"} <= names
    assert any(n.startswith("rubrics") for n in names) and "rubrics/check.py" in names
    assert any(n.startswith("charts") for n in names) and "charts/wright_map.py" in names
    assert "rules/bands.py" in names


def test_the_check_catches_violations(tmp_path):
    fake = tmp_path / "leaky.py"
    fake.write_text("import flask\nfrom ..models import Score\nfrom . import icc\n"
                    "import sqlalchemy.orm\nfrom flask_login import current_user\n"
                    "import pandas\ndef f():\n    from ..extensions import db\n")
    verdicts = {name: _stats_allowed(name) for _, name in _imports(fake, "scoring.stats")}
    assert verdicts == {"flask": False, "scoring.models": False, "scoring.stats.icc": True,
                        "sqlalchemy.orm": False, "flask_login": False, "pandas": False,
                        "scoring.extensions": False}
    assert not _core_allowed("scoring.models", ("scoring.charts",))
    assert not _core_allowed("numpy", ("scoring.charts",))  # charts are stdlib only
    assert _core_allowed("yaml", ("scoring.rubrics",))


def test_the_function_walk_catches_a_database_read(tmp_path, monkeypatch):
    pkg = tmp_path / "fakepkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "rule.py").write_text(
        "from sqlalchemy import select\n"
        "def helper(x):\n    return select(x)\n"
        "def pure(x):\n    return x + 1\n"
        "def leaky(x):\n    return helper(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import fakepkg.rule as rule

    _, names, imported = _function_dependencies(rule.leaky)
    assert "select" in names and imported["select"] == "sqlalchemy.select"
    _, names, _ = _function_dependencies(rule.pure)
    assert "select" not in names


# ---- no import cycles ----------------------------------------------------------------------
#
# The graph has one node a module of scoring/ and one arrow an import that can run: at module
# level and inside functions alike (a function-local import only postpones a cycle to the first
# call, so it counts). Imports under ``if TYPE_CHECKING:`` never run and do not count (the
# models name each other there for annotations only); ``import_module("...")`` strings are not
# followed. ``from pkg import name`` points at ``pkg.name`` when that is a module, else at
# ``pkg``. A package's ``__init__`` runs before any of its modules, but that implied load is
# not an arrow (else every package that imports one of its modules would be a "cycle").


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _running_imports(tree: ast.AST):
    """Yield every import node of `tree` that can run (not under ``if TYPE_CHECKING:``)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            for other in node.orelse:
                yield from _running_imports(ast.Module(body=[other], type_ignores=[]))
        else:
            yield from _running_imports(node)


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Return {module: the modules of `root`'s package it imports} (see the notes above)."""
    files = {_module_name(p, root): p for p in root.rglob("*.py")
             if "migrations" not in p.relative_to(root).parts}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets: set[str] = set()
        for node in _running_imports(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
                continue
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)] + ([base] if base else []))
            modules = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in files}
            targets |= modules or {base}
            if len(modules) < len(node.names):
                targets.add(base)  # some names are attributes of `base` itself
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_no_import_cycle_among_scorings_modules():
    graph = import_graph()
    assert len(graph) > 150 and {"scoring.workflow.sheets", "scoring.rules.results"} <= set(graph)
    cycles = import_cycles(graph)
    described = ["; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(group)))}" for m in group)
                 for group in cycles]
    assert not cycles, "import cycles (break each by moving the shared piece below both): " + \
        " | ".join(described)


def test_the_cycle_check_sees_function_local_imports_and_skips_type_checking(tmp_path):
    pkg = tmp_path / "fakepkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("from .helpers import x\n")
    (pkg / "sub" / "helpers.py").write_text("x = 1\n")
    (pkg / "a.py").write_text("from .b import f\n")
    (pkg / "b.py").write_text("def f():\n    from . import a\n    return a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                              "    from .d import D\n")
    (pkg / "d.py").write_text("from .c import C\nfrom .sub import helpers, x\n")
    graph = import_graph(pkg)
    assert graph["fakepkg.b"] == {"fakepkg.a"}  # the function-local import counts
    assert graph["fakepkg.c"] == set()  # the TYPE_CHECKING import does not
    assert graph["fakepkg.d"] == {"fakepkg.c", "fakepkg.sub", "fakepkg.sub.helpers"}
    assert import_cycles(graph) == [["fakepkg.a", "fakepkg.b"]]


HAND_ROLLED = {
    re.compile(r"\.offset\("): "a hand-rolled page: use db.paginate (scoring.manage.queries)",
    re.compile(r"Content-Disposition"): "a hand-built download header: use send_file("
                                        "download_name=...)",
    re.compile(r"session\.get\([^)]*\)\s*\n\s*if \w+ is None:\s*\n\s*abort\(404\)"):
        "a hand-rolled fetch-or-404: use db.get_or_404",
}


def test_one_pagination_one_get_or_404_and_send_file_for_downloads():
    bad = [f"{_ids(p)}: {why}" for p in sorted(ROOT.rglob("*.py"))
           if "stats" not in p.relative_to(ROOT).parts[:1]
           for pattern, why in HAND_ROLLED.items() if pattern.search(p.read_text())]
    assert not bad, bad
    sample = ("row = db.session.get(model, ident)\n    if row is None:\n        abort(404)\n"
              "q.limit(5).offset(10)\nheaders['Content-Disposition'] = 'inline'\n")
    assert all(pattern.search(sample) for pattern in HAND_ROLLED)
