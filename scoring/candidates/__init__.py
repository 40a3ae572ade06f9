"""Candidates (issue 16): own explained result at /hasil, objections (sanggah), the method page.

One blueprint: the candidate's pages (``/hasil``, logged in by participant number and personal
code, never cached), the public method and objection-summary pages (``/public/<code>/...``,
cacheable) and the administrator's codes and objection queue (``/manage/...``, admins only).
"""

from flask import Blueprint

bp = Blueprint("candidates", __name__)  # its routes: views.py (the blueprint registry loads it)
