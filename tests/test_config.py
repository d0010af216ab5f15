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
