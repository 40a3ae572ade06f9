"""Views are thin: they load, authorise, validate, call one verb and render.

Every state change is a named verb in ``scoring/workflow/``; a view module never writes to the
database session, ends a transaction or writes the audit trail itself. It calls a verb
through ``workflow.perform`` (one transaction), and a refused action reaches the one
registered ``WorkflowError`` handler. This test reads the view modules' code and fails on any
such call, naming the file and line.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "scoring"
# The web shell (blueprint registry, error handlers, security) is not a view module.
SHELL = {"__init__.py", "security.py", "util.py", "helpers.py"}
SESSION_WRITES = {"execute", "add", "add_all", "commit", "delete", "flush", "rollback", "merge"}
AUDIT = {"record", "record_event"}


def view_modules() -> list[Path]:
    """Return every module that holds request handlers: ``views/*.py``, ``*views.py``."""
    found = set()
    old = ROOT / "views"
    if old.is_dir():
        found |= {p for p in old.glob("*.py") if p.name not in SHELL}
    found |= {p for p in ROOT.rglob("*.py")
              if (p.name == "views.py" or p.name.endswith("_views.py"))
              and "web" not in p.relative_to(ROOT).parts[:1]}
    return sorted(found)


def violations(source: str, name: str) -> list[str]:
    """Return ``file:line: call`` for each database write or audit write in ``source``."""
    bad = []
    for node in ast.walk(ast.parse(source, name)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func
            owner = target.value
            if (target.attr in SESSION_WRITES and isinstance(owner, ast.Attribute)
                    and owner.attr == "session"):
                bad.append(f"{name}:{node.lineno}: session.{target.attr}()")
            elif target.attr in AUDIT and isinstance(owner, ast.Name) and owner.id == "workflow":
                bad.append(f"{name}:{node.lineno}: workflow.{target.attr}()")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in AUDIT):
            bad.append(f"{name}:{node.lineno}: {node.func.id}()")
        elif (isinstance(node, ast.ImportFrom) and (node.module or "").endswith("workflow.audit")
              and any(a.name in AUDIT for a in node.names)):
            bad.append(f"{name}:{node.lineno}: imports the audit writer")
    return bad


def test_the_check_finds_the_view_modules():
    modules = view_modules()
    names = {p.stem for p in modules}
    assert len(modules) >= 15
    assert {"examine", "chair", "documents"} <= names or {"views", "api_views"} <= names


@pytest.mark.parametrize("path", view_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_view_module_never_writes_itself(path):
    bad = violations(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    assert not bad, ("a view writes the database or the audit trail itself; call a verb in "
                     "scoring/workflow/ through workflow.perform instead: " + ", ".join(bad))


def test_the_check_catches_each_kind_of_write():
    source = ("from ..workflow.audit import record\n"
              "def view():\n"
              "    db.session.add(x)\n"
              "    db.session.commit()\n"
              "    db.session.execute(q)\n"
              "    workflow.record('a', None, None, {})\n"
              "    record('a', None, None, {})\n"
              "    workflow.perform(workflow.create_panel, s)\n")
    bad = violations(source, "fake.py")
    assert [b.split(": ", 1)[1] for b in bad] == [
        "imports the audit writer", "session.add()", "session.commit()", "session.execute()",
        "workflow.record()", "record()"]
