"""The WSGI entry gunicorn serves: the app made once, its start-up objects frozen."""

import json
import os
import subprocess
import sys

from live_server import ROOT


def _in_a_fresh_master(tmp_path, probe: str):
    """Run ``probe`` in a fresh interpreter, as gunicorn's master is; return its last line's
    JSON."""
    env = {**os.environ, "SCORING_INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "wsgi-test",
           "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.splitlines()[-1])


def test_the_wsgi_entry_freezes_what_start_up_made(tmp_path):
    # Importing the entry makes the app and puts the start-up objects beyond the cycle
    # collector (a full collection's pause).
    kind, blueprints, frozen, tracked = _in_a_fresh_master(tmp_path, (
        "import gc, json, scoring.wsgi as w; "
        "print(json.dumps([type(w.app).__name__, sorted(w.app.blueprints), "
        "gc.get_freeze_count(), len(gc.get_objects())]))"))
    assert kind == "Flask"
    assert {"examine", "chair", "auth"} <= set(blueprints)
    assert frozen > 50_000          # the modules, the app, its caches
    assert tracked < frozen / 10    # what a full collection still walks


def test_the_wsgi_entry_loads_the_task_queue_before_the_workers_fork(tmp_path):
    # huey (and the redis, gevent and psycopg modules it imports) took 0.4 s of CPU on a
    # worker's first export request, holding that worker's GIL while its other threads (the
    # tablets' saves) waited. The master loads them once; making the queue imports nothing.
    imported = _in_a_fresh_master(tmp_path, (
        "import json, sys, scoring.wsgi as w; from scoring.ops.tasks import get_huey; "
        "before = set(sys.modules); get_huey(w.app); "
        "print(json.dumps(sorted(set(sys.modules) - before)))"))
    assert imported == []
