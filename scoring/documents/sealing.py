"""Render and seal one document from its HTML: pure, so it can run in a worker process.

``seal`` turns a :class:`SealJob` (HTML, stylesheet text, reason, place) into sealed PDF bytes
with nothing but WeasyPrint and pyHanko: no database, no Flask. A bulk export runs it in a
process pool (:func:`seal_pool`); each worker loads the signing key once from the same files
the app uses (:class:`KeySource`: paths and passphrase, never key objects) and warms WeasyPrint
before its first job. The workers are started with "forkserver": the server process imports
only this module, and forking from it is safe even when the app runs exports in threads
(plain fork from a threaded process can deadlock). This module imports WeasyPrint and pyHanko
only when it first renders or signs, so the server process stays light and each worker loads
them after it has lowered its priority (``RENDER_NICE``): the import's 1.5 s or so of CPU runs at
that priority, not at the exporting process's. As with any non-fork start method, a
worker re-imports the parent's ``__main__`` script, so entry scripts need the
``if __name__ == "__main__"`` guard (console scripts, gunicorn and pytest have it).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .signing import SigningKey

__all__ = ["KeySource", "SealJob", "init_worker", "lower_priority", "render_nice", "seal",
           "seal_in_worker", "seal_pool"]

_WARM_HTML = "<p>warm</p>"


@dataclass(frozen=True)
class KeySource:
    """Where the institution's key is: the signing folder, or a PKCS#12 file and passphrase."""

    folder: str
    pkcs12: str | None = None
    passphrase: str | None = field(default=None, repr=False)  # never in logs

    def load(self) -> SigningKey:
        """Return the key (cached per process by :func:`~.signing.load_signing_key`)."""
        from .signing import load_signing_key

        return load_signing_key(Path(self.folder), self.pkcs12, self.passphrase)


@dataclass(frozen=True)
class SealJob:
    """What one document needs to become a sealed PDF."""

    html: str
    css: str
    reason: str
    location: str


def seal(job: SealJob, key: SigningKey) -> bytes:
    """Render ``job`` to PDF and certify it with ``key``; return the sealed bytes."""
    from .render import render_pdf
    from .signing import sign_pdf

    rendered = render_pdf(job.html, job.css)
    return sign_pdf(rendered.pdf, key, rendered.signature_box, rendered.signature_page or 0,
                    reason=job.reason, location=job.location)


_worker_key: SigningKey | None = None


def init_worker(source: KeySource, css: str = "", nice: int | str = 0) -> None:
    """Lower the priority, then load the signing key and warm WeasyPrint in a pool worker.

    ``nice`` (``RENDER_NICE``, see :func:`lower_priority`) comes first, before anything heavy
    is imported: a pool worker only renders and seals, it holds no database lock, so it can
    wait for the web server.
    """
    global _worker_key
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    lower_priority(nice)
    from .render import render_pdf

    _worker_key = source.load()
    render_pdf(_WARM_HTML, css)


def lower_priority(nice: int | str) -> None:
    """Lower this process's CPU priority: by ``nice`` (0-19), or to ``"idle"``.

    ``"idle"`` is Linux's ``SCHED_IDLE`` policy: the process runs only on CPU time no other
    process wants, and a waking web server thread takes the core from it at once (a niced
    process keeps its slice). Where there is no such policy, ``"idle"`` is nice 19.
    """
    if nice == "idle":
        if hasattr(os, "SCHED_IDLE"):
            os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
        else:  # pragma: no cover - not Linux
            os.nice(19)
    elif nice:
        os.nice(nice)


def seal_in_worker(job: SealJob) -> bytes:
    """Seal ``job`` with the worker's key; re-raise what cannot cross processes as plain text."""
    if _worker_key is None:
        raise RuntimeError("seal_in_worker called outside a worker started by seal_pool")
    try:
        return seal(job, _worker_key)
    except Exception as exc:
        try:
            # Our own exception, pickled and read back here to test it can cross processes;
            # no outside data is unpickled.
            pickle.loads(pickle.dumps(exc))  # nosec B301
        except Exception:
            raise RuntimeError(f"{type(exc).__name__}: {exc}") from None
        raise


def render_nice(configured) -> int | str:
    """Return ``RENDER_NICE`` checked: ``"idle"`` or a whole number 0-19 (how much the
    sealing pool yields the CPU; see :func:`lower_priority`)."""
    if configured == "idle":
        return configured
    if isinstance(configured, bool) or not isinstance(configured, int) \
            or not 0 <= configured <= 19:
        raise ValueError('RENDER_NICE must be "idle" or a whole number from 0 to 19, '
                         f"not {configured!r}")
    return configured


def seal_pool(workers: int, source: KeySource, css: str = "",
              nice: int | str = 0) -> ProcessPoolExecutor:
    """Return a pool of ``workers`` processes (priority ``nice``, see :func:`lower_priority`)
    ready for :func:`seal_in_worker`."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=init_worker, initargs=(source, css, nice))
