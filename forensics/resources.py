"""Where the packaged, non-Python files live.

`queries/` and `report_templates/` sit at the top of the repository but are
installed as `forensics.queries` and `forensics.report_templates` (see
setup.cfg), so the same lookup works from a checkout, an editable install and a
wheel.

One exception: when this package is imported from a source checkout (the
`forensics/` directory beside `setup.cfg`, `queries/` and
`report_templates/`), that checkout's directories are used.  An editable
install maps `forensics.queries` and `forensics.report_templates` to the tree
it was installed from, so another checkout of the same project (a git
worktree put first on `PYTHONPATH`) would otherwise run its own code with the
installed tree's queries and templates.
"""

from functools import lru_cache
from importlib.resources import files
from pathlib import Path


@lru_cache(maxsize=None)
def _checkout_dir(name: str) -> Path | None:
    top = Path(__file__).resolve().parent.parent
    here = top / name
    return here if (top / "setup.cfg").is_file() and here.is_dir() else None


def queries_dir() -> Path:
    return _checkout_dir("queries") or Path(str(files("forensics.queries")))


def templates_dir() -> Path:
    return _checkout_dir("report_templates") or Path(str(files("forensics.report_templates")))


def package_dir() -> Path:
    return Path(str(files("forensics")))
