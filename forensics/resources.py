"""Where the packaged, non-Python files live.

`queries/` and `report_templates/` sit at the top of the repository but are
installed as `forensics.queries` and `forensics.report_templates` (see
setup.cfg), so the same lookup works from a checkout, an editable install and a
wheel.
"""

from importlib.resources import files
from pathlib import Path


def queries_dir() -> Path:
    return Path(str(files("forensics.queries")))


def templates_dir() -> Path:
    return Path(str(files("forensics.report_templates")))


def package_dir() -> Path:
    return Path(str(files("forensics")))
