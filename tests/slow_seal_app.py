"""The application for a live server whose document seals are slow (``SLOW_SEAL_SECONDS``).

A stand-in for a heavy render (a whole session's minutes on a busy machine): gunicorn serves
``slow_seal_app:create_app()``; everything else is the real application.
"""

from __future__ import annotations

import os
import time

from scoring import create_app as create_scoring_app


def create_app():
    """Create the app with ``scoring.workflow.documents.seal`` slowed down."""
    import scoring.workflow.documents as documents

    real_seal = documents.seal
    delay = float(os.environ.get("SLOW_SEAL_SECONDS", "0"))

    def slow_seal(job, key):
        time.sleep(delay)
        return real_seal(job, key)

    documents.seal = slow_seal
    return create_scoring_app()
