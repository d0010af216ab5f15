"""Shared fixtures.

Tests read real public logs.  The openly licensed ones the tests need are
vendored in `tests/data/<source>/` (each directory's SOURCE.md names the
repository, path, commit and licence of every file), laid out as in the
project's shared sample set `../shared/realdata/`: fixture `realdata`.  Files
without an open licence (vendor documentation, pastebin posts, issue text)
are not redistributed: tests of them take `shared_realdata`, which is
`../shared/realdata` where it exists and otherwise skips the test, saying why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
TESTDATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The vendored real samples (`tests/data`, same layout as ../shared/realdata)."""
    return TESTDATA


@pytest.fixture(scope="session")
def shared_realdata() -> Path:
    """../shared/realdata, for samples without an open licence; skips the test where it is absent."""
    if not REALDATA.is_dir():
        pytest.skip(f"needs samples without an open licence, which are not vendored: {REALDATA} is absent")
    return REALDATA


@pytest.fixture
def case_path(tmp_path) -> Path:
    return tmp_path / "case.duckdb"


@pytest.fixture
def new_case(case_path):
    from forensics.case import Case

    case = Case.open(case_path)
    yield case
    case.close()
