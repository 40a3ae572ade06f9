"""The pure core stays pure: rubrics and statistics know nothing of Flask or the database."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "scoring"
FORBIDDEN = ("flask", "flask_", "sqlalchemy", "werkzeug", "jinja2", "wtforms", "scoring.views",
             "scoring.models", "scoring.workflow", "scoring.extensions")
PURE = [ROOT / "rubrics.py", *sorted(ROOT.glob("_rubric*.py")),
        *sorted((ROOT / "stats").rglob("*.py"))]


def _imports(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    package = "scoring.stats" if "stats" in path.parts else "scoring"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                yield node.lineno, f"{base}.{node.module or ''}".rstrip(".")
            else:
                yield node.lineno, node.module or ""


@pytest.mark.parametrize("path", PURE, ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_core_imports_nothing_of_the_web_or_database(path):
    bad = [f"{path.name}:{line}: {name}" for line, name in _imports(path)
           if name.startswith(FORBIDDEN) or name in ("flask", "sqlalchemy")]
    if "stats" in path.parts:
        bad += [f"{path.name}:{line}: {name}" for line, name in _imports(path)
                if name.startswith("scoring.") and not name.startswith("scoring.stats")]
    assert not bad, "pure module imports the web or database layer: " + ", ".join(bad)


def test_the_check_sees_the_modules():
    assert ROOT / "rubrics.py" in PURE
    assert any(p.name == "__init__.py" and p.parent.name == "stats" for p in PURE)


def test_the_check_catches_a_violation(tmp_path):
    fake = tmp_path / "stats" / "leaky.py"
    fake.parent.mkdir()
    fake.write_text("import numpy\nfrom flask import g\nfrom ..models import User\n")
    names = [name for _, name in _imports(fake)]
    assert names == ["numpy", "flask", "scoring.models"]
    assert any(n.startswith(FORBIDDEN) for n in names)


def test_pure_core_imports_without_the_web_stack():
    import subprocess
    import sys

    probe = ("import sys, scoring.stats, scoring.rubrics; "
             "bad = [m for m in ('flask', 'sqlalchemy', 'werkzeug') if m in sys.modules]; "
             "sys.exit(', '.join(bad) or 0)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert result.returncode == 0, f"importing the pure core loaded: {result.stderr}"
