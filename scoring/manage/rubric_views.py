"""Administration: how to write a rubric file, with the commented template to download."""

from __future__ import annotations

import io

from flask import render_template, send_file

from ..paths import data_dir
from .guard import admin_blueprint
from .queries import RUBRIC_TEMPLATE

bp = admin_blueprint("manage_rubrics", __name__)


def _template_path():
    return data_dir("rubrics") / RUBRIC_TEMPLATE


@bp.route("/rubrics/format")
def guide():
    """Explain the rubric format, showing the commented template."""
    return render_template("manage_rubrics/guide.html",
                           template=_template_path().read_text(encoding="utf-8"))


@bp.route("/rubrics/TEMPLATE.yaml")
def template():
    """Download the commented rubric template."""
    data = _template_path().read_bytes()
    return send_file(io.BytesIO(data), mimetype="application/yaml", as_attachment=True,
                     download_name="rubrik-templat.yaml")
