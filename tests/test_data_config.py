"""The example config and `tracker config`: generated from the settings, secrets never shown."""

from __future__ import annotations

import json
import tomllib
from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner

from tracker import config
from tracker.cli import main
from tracker.config_doc import DOCS, example

EXAMPLE = Path(__file__).parent.parent / "docs" / "config.example.toml"


def test_example_config_is_current_and_documents_every_setting() -> None:
    names = [f.name for f in fields(config.Settings)]
    assert [n for n in names if n not in DOCS] == [], "document new settings in tracker/config_doc"
    assert EXAMPLE.read_text() == example(), "regenerate: tracker config --example > " + str(
        EXAMPLE.relative_to(EXAMPLE.parent.parent)
    )
    uncommented = "\n".join(
        line[2:] if line.startswith("# ") and " = " in line else ""
        for line in example().splitlines()
    )
    values = tomllib.loads("[tracker]\n" + uncommented)["tracker"]
    assert config.load(env={}) == config.Settings(
        **{k: config._coerce(k, v) for k, v in values.items()}
    )


def test_tracker_config_shows_settings_in_force_with_secrets_masked(tmp_path: Path) -> None:
    file = tmp_path / "storydiff.toml"
    file.write_text('[tracker]\nworkers = 7\nsmtp_password = "hunter2"\n')
    env = {"TRACKER_API_TOKEN": "tok-secret-123", "TRACKER_PORT": "8123"}
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "t.db"), "--config", str(file), "config"], env=env
    )
    assert result.exit_code == 0, result.output
    assert "workers = 7  # set" in result.output and "port = 8123  # set" in result.output
    assert "hunter2" not in result.output and "tok-secret-123" not in result.output
    assert 'api_token = "********"  # set' in result.output
    assert 'admin_password = ""\n' in result.output
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "t.db"), "--config", str(file), "config", "--json"], env=env
    )
    data = json.loads(result.output)
    assert data["smtp_password"] == "********" and data["workers"] == 7
    assert data["db"] == str(tmp_path / "t.db")
