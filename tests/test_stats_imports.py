"""scoring/stats is pure: stdlib, numpy, scipy (and narwhals for DataFrames) only (AST check)."""

import ast
import sys
from pathlib import Path

import pytest

STATS = Path(__file__).resolve().parents[1] / "scoring" / "stats"
FILES = sorted(STATS.rglob("*.py"))
# narwhals: read only for a DataFrame given by the caller (read_long_frame), imported there
ALLOWED_THIRD_PARTY = ("numpy", "scipy", "narwhals")
FORBIDDEN = ("flask", "flask_", "sqlalchemy", "werkzeug", "jinja2", "pandas", "pingouin",
             "krippendorff", "statsmodels")


def _imported(path: Path):
    """Yield (line, absolute module name) for every import in `path`."""
    tree = ast.parse(path.read_text(), str(path))
    package = "scoring.stats"
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                yield node.lineno, f"{base}.{node.module}" if node.module else base
            else:
                yield node.lineno, node.module


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    if name.startswith(FORBIDDEN) or top in FORBIDDEN:
        return False
    if top == "scoring":
        return name == "scoring.stats" or name.startswith("scoring.stats.")
    return top in ALLOWED_THIRD_PARTY or top in sys.stdlib_module_names or top == "__future__"


def test_walks_every_module():
    names = {p.name for p in FILES}
    assert {"__init__.py", "icc.py", "alpha.py", "agreement.py", "effects.py", "gstudy.py",
            "kendall.py", "longform.py", "panel.py", "_validate.py"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_stats_imports_only_stdlib_numpy_scipy_and_itself(path):
    bad = [f"{path.name}:{line} imports {name}" for line, name in _imported(path)
           if not _allowed(name)]
    assert not bad, "; ".join(bad)


def test_the_check_catches_violations(tmp_path):
    fake = tmp_path / "leaky.py"
    fake.write_text("import flask\nfrom ..models import Score\nfrom . import icc\n"
                    "import sqlalchemy.orm\nfrom flask_login import current_user\n")
    verdicts = {name: _allowed(name) for _, name in _imported(fake)}
    assert verdicts == {"flask": False, "scoring.models": False, "scoring.stats": True,
                        "sqlalchemy.orm": False, "flask_login": False}
