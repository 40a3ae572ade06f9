"""Every public function of scoring.stats teaches by a published example, run here as a doctest.

Each public function (no leading underscore, in a module without one) has a numpydoc
``Examples`` section that cites its source and reproduces a published value (the reference
datasets of tests/data/reference, inline); this module runs them in the suite, one test per
function. ``pytest --doctest-modules scoring/stats`` runs the same examples.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import pkgutil
import re

import pytest

import scoring.stats as stats


def _public_functions() -> list:
    """Return every function without a leading underscore defined in a public module."""
    out = []
    for info in pkgutil.iter_modules(stats.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"scoring.stats.{info.name}")
        out += [obj for name, obj in vars(module).items() if not name.startswith("_")
                and inspect.isfunction(obj) and obj.__module__ == module.__name__]
    return sorted(out, key=lambda f: (f.__module__, f.__name__))


FUNCTIONS = _public_functions()
HEADER = "Examples\n--------\n"


def test_every_exported_function_has_its_example_run():
    exported = {name for name in stats.__all__ if inspect.isfunction(getattr(stats, name))}
    assert exported <= {f.__name__ for f in FUNCTIONS}
    assert len(FUNCTIONS) >= 18


@pytest.mark.parametrize("func", FUNCTIONS, ids=lambda f: f"{f.__module__}.{f.__name__}")
def test_the_example_reproduces_a_published_value(func):
    doc = inspect.getdoc(func)
    assert HEADER in doc, f"{func.__name__} has no Examples section"
    examples = doc.split(HEADER, 1)[1]
    assert ">>>" in examples
    assert re.search(r"\b(19|20)\d\d\b", examples), f"{func.__name__}: cite the source"
    if func.__name__ == "read_long_frame":
        pytest.importorskip("pandas")
    finder = doctest.DocTestFinder(recurse=False)
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    report: list[str] = []
    for test in finder.find(func, func.__name__, module=inspect.getmodule(func), globs={}):
        runner.run(test, out=report.append)
    assert runner.tries > 0
    assert runner.failures == 0, "".join(report)
