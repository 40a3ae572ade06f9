"""The examiner's day offline: the pre-load manifest and the outbox's exactly-once endpoints.

The tablet keeps today's queue, every candidate's declaration and scoring page, the rubric
(inside those pages) and the static assets in the Cache Storage, and queues declarations,
drafts and signed submissions in one outbox (``static/js/offline.js``) that these endpoints
apply exactly once, in order.
"""

from flask import Blueprint

bp = Blueprint("offline", __name__, url_prefix="/api/offline")  # its routes: views.py
