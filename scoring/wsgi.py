"""The WSGI entry point for gunicorn: ``gunicorn [...] scoring.wsgi:app``.

The application is created once at import (with ``--preload``, in gunicorn's master, before it
forks its workers), then every object made so far (modules, the app, its rubric and template
caches: some 200,000 of them) is moved out of the cycle collector's reach with
``gc.freeze()``. Python's full (generation 2) collection otherwise walks all of them: under
exam-day load it stopped a worker, all four of its threads, for 165-205 ms every 20-40 s;
frozen, the same collections take 13-34 ms (``benchmarks/README.md``). The frozen objects are
still freed when their last reference goes; only their reference cycles would stay, and
start-up objects live as long as the process.

The task queue's modules are imported here too (``ops.tasks.import_queue``): a worker would
otherwise import them on its first export request, 0.4 s with its GIL held.
"""

import gc

from . import create_app
from .ops.tasks import import_queue

app = create_app()
import_queue()
gc.collect()  # what start-up left as garbage is freed now, not frozen
gc.freeze()
