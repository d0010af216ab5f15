"""The one place for rules and thresholds: defaults, overrides, errors."""

import pytest

from forensics.config import load_config
from forensics.errors import ForensicsError


def test_defaults_are_loaded():
    config = load_config()
    assert config["enrich"]["ipv4_prefix"] == 24
    assert config["enrich"]["ipv6_prefix"] == 48
    assert config["sessions"]["idle_timeout_minutes"] > 0


def test_override_file_wins_and_env_applies_first(tmp_path, monkeypatch):
    env_file = tmp_path / "env.toml"
    env_file.write_text("[enrich]\nipv4_prefix = 16\nipv6_prefix = 56\n")
    cli_file = tmp_path / "cli.toml"
    cli_file.write_text("[enrich]\nipv4_prefix = 20\n")
    monkeypatch.setenv("FORENSICS_CONFIG", str(env_file))
    config = load_config(cli_file)
    assert config["enrich"]["ipv4_prefix"] == 20  # --config beats the environment
    assert config["enrich"]["ipv6_prefix"] == 56  # the environment beats the defaults


def test_unknown_key_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[enrich]\nipv4_prefx = 16\n")
    with pytest.raises(ForensicsError, match="ipv4_prefx"):
        load_config(bad)


def test_invalid_toml_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[enrich\n")
    with pytest.raises(ForensicsError, match="not valid TOML"):
        load_config(bad)


@pytest.mark.parametrize("text, message", [
    ('[sessions]\nidle_timeout_minutes = "thirty"\n',
     "[sessions] idle_timeout_minutes must be an integer like its default 30 (forensics/thresholds.toml), "
     "not a string 'thirty'"),
    ("[failed_logins]\nwindows_hours = [1, \"day\"]\n", "[failed_logins] windows_hours must be a list of integers"),
    ("[enrich]\ngeoip = \"/var/lib/GeoIP/GeoLite2-ASN.mmdb\"\n", "[enrich] geoip must be a list"),
    ("[sessions]\nidle_timeout_minutes = true\n", "must be an integer like its default 30"),
    ("sessions = 5\n", "'sessions' must be a table"),
])
def test_a_value_of_the_wrong_type_is_refused_naming_key_file_and_type(tmp_path, text, message):
    bad = tmp_path / "settings.toml"
    bad.write_text(text)
    with pytest.raises(ForensicsError) as info:
        load_config(bad)
    assert str(info.value).startswith(f"{bad}: ") and message in str(info.value)


def test_an_integer_where_a_number_is_expected_is_fine(tmp_path):
    ok = tmp_path / "ok.toml"
    ok.write_text("[failed_logins]\nbrute_force_min_interval_seconds = 2\n")
    assert load_config(ok)["failed_logins"]["brute_force_min_interval_seconds"] == 2


def test_the_cli_names_the_wrong_type_in_one_sentence(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    log = tmp_path / "panel.jsonl"
    log.write_text('{"ts": "2026-03-01T10:00:00+00:00", "account": "K-1", "event": "reinstall", "user": "bob"}\n')
    case = tmp_path / "case.duckdb"
    assert CliRunner().invoke(main, ["ingest", str(case), str(log)]).exit_code == 0
    bad = tmp_path / "settings.toml"
    bad.write_text('[sessions]\nidle_timeout_minutes = "thirty"\n')
    result = CliRunner().invoke(main, ["investigate", str(case), "--account", "K-1", "--config", str(bad)])
    assert result.exit_code == 1
    assert "idle_timeout_minutes must be an integer" in result.output and str(bad) in result.output
    assert "bug" not in result.output and "Traceback" not in result.output
