"""Shared fixtures.  Tests read the real sample logs in ../shared/realdata."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REALDATA = ROOT.parent / "shared" / "realdata"
TESTDATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def realdata() -> Path:
    if not REALDATA.is_dir():
        pytest.fail(f"real sample data not found at {REALDATA} (shared/ must sit beside the project)")
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
