"""Bundle the top-level data folders into installed copies of the package."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

DATA = ("templates", "static", "rubrics", "translations")


class BuildWithData(build_py):
    """Copy templates/, static/, rubrics/ and translations/ into scoring/_data."""

    def run(self):
        super().run()
        root = Path(__file__).parent
        target = Path(self.build_lib) / "scoring" / "_data"
        for name in DATA:
            if (root / name).is_dir():
                shutil.copytree(root / name, target / name, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
