"""Locate the shipped data folders, from a checkout or from an installed copy."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parent
_BUNDLED = PACKAGE_DIR / "_data"  # filled by setup.py's build step for installed copies


def data_dir(name: str) -> Path:
    """Return the folder ``name`` (templates, static, rubrics, translations)."""
    for root in (_CHECKOUT, _BUNDLED):
        candidate = root / name
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"scoring: data folder {name!r} not found next to the package ({_CHECKOUT}) "
        f"nor bundled in it ({_BUNDLED}); reinstall the package"
    )


def default_instance_path() -> Path:
    """Return the instance folder: ./instance of the checkout, else the current directory's."""
    checkout = _CHECKOUT / "instance"
    if (_CHECKOUT / "pyproject.toml").is_file():
        return checkout
    return Path.cwd() / "instance"
