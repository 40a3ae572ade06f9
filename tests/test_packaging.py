"""An installed copy (not the checkout) finds its templates, static files and rubrics."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = """
import scoring, scoring.paths as p
from scoring import create_app
app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
assert "site" in scoring.__file__ or "target" in scoring.__file__, scoring.__file__
for name in ("templates", "static", "rubrics", "translations"):
    assert str(p.data_dir(name)).startswith(str(p.PACKAGE_DIR / "_data")), p.data_dir(name)
assert (p.data_dir("rubrics") / "example-en.yaml").is_file()
assert app.jinja_env.get_template("base.html")
print("ok", app.template_folder)
"""


def test_installed_wheel_carries_its_data(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "target"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(wheels.glob("scoring-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
         str(wheel)],
        check=True, capture_output=True,
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, capture_output=True, text=True,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")
