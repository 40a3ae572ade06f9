"""Render and seal one document from its HTML: pure, so it can run in a worker process.

``seal`` turns a :class:`SealJob` (HTML, stylesheet text, reason, place) into sealed PDF bytes
with nothing but WeasyPrint and pyHanko: no database, no Flask. A bulk export runs it in a
process pool (:func:`seal_pool`); each worker loads the signing key once from the same files
the app uses (:class:`KeySource`: paths and passphrase, never key objects) and warms WeasyPrint
before its first job. The workers are started with "forkserver": the server process imports
only this module, and forking from it is safe even when the app runs exports in threads
(plain fork from a threaded process can deadlock). As with any non-fork start method, a
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

from .render import render_pdf
from .signing import SigningKey, load_signing_key, sign_pdf

__all__ = ["KeySource", "SealJob", "init_worker", "seal", "seal_in_worker", "seal_pool"]

_WARM_HTML = "<p>warm</p>"


@dataclass(frozen=True)
class KeySource:
    """Where the institution's key is: the signing folder, or a PKCS#12 file and passphrase."""

    folder: str
    pkcs12: str | None = None
    passphrase: str | None = field(default=None, repr=False)  # never in logs

    def load(self) -> SigningKey:
        """Return the key (cached per process by :func:`load_signing_key`)."""
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
    rendered = render_pdf(job.html, job.css)
    return sign_pdf(rendered.pdf, key, rendered.signature_box, rendered.signature_page or 0,
                    reason=job.reason, location=job.location)


_worker_key: SigningKey | None = None


def init_worker(source: KeySource, css: str = "", nice: int = 0) -> None:
    """Load the signing key once and warm WeasyPrint (fonts, stylesheet) in a pool worker.

    ``nice`` lowers the process's CPU priority by that much (``RENDER_NICE``): a pool worker
    only renders and seals, it holds no database lock, so it can wait for the web server.
    """
    global _worker_key
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    if nice:
        os.nice(nice)
    _worker_key = source.load()
    render_pdf(_WARM_HTML, css)


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


def render_nice(configured) -> int:
    """Return ``RENDER_NICE`` checked: a whole number 0-19 (how much the sealing pool yields)."""
    if isinstance(configured, bool) or not isinstance(configured, int) \
            or not 0 <= configured <= 19:
        raise ValueError(f"RENDER_NICE must be a whole number from 0 to 19, not {configured!r}")
    return configured


def seal_pool(workers: int, source: KeySource, css: str = "",
              nice: int = 0) -> ProcessPoolExecutor:
    """Return a pool of ``workers`` processes (nice ``nice``) ready for :func:`seal_in_worker`."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                               initializer=init_worker, initargs=(source, css, nice))
