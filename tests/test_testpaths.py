"""Every app's tests run in ``make test``: a new app's folder must be in pytest's testpaths."""

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_tests_folder_is_collected():
    testpaths = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
                    ["testpaths"])
    folders = {path.parent.parent.name for path in ROOT.glob("*/tests/__init__.py")}
    assert folders, "no app test folders found?"
    assert folders - testpaths == set(), "add these to testpaths in pyproject.toml"
