"""Usage errors exit with 2 and name the bad value, before any case is touched."""

import pytest
from click.testing import CliRunner

from forensics.cli import main


@pytest.mark.parametrize("args,bad", [
    (["investigate", "{case}", "--account", "K-1", "--since", "19.03.2026"], "19.03.2026"),
    (["investigate", "{case}", "--account", "K-1", "--until", "03/22/2026"], "03/22/2026"),
    (["investigate", "{case}", "--account", "K-1", "--tz", "Mars/Olympus"], "Mars/Olympus"),
    (["timeline", "{case}", "--account", "K-1", "--since", "yesterday"], "yesterday"),
    (["report", "{case}", "--account", "K-1", "--out", "{out}", "--date", "2026-3-22"], "2026-3-22"),
    (["report", "{case}", "--account", "K-1", "--out", "{out}", "--tz", "Berlin"], "Berlin"),
    (["ingest", "{case}", "{log}", "--tz", "CEST+2"], "CEST+2"),
])
def test_malformed_dates_and_zones_are_usage_errors(tmp_path, args, bad):
    log = tmp_path / "x.log"
    log.write_text("x\n")
    case = tmp_path / "case.duckdb"
    args = [a.format(case=case, out=tmp_path / "r.pdf", log=log) for a in args]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert bad in result.output
    assert "Traceback" not in result.output
    assert not case.exists(), "a usage error must not create the case file"
