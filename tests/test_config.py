"""Configuration from the environment: the supervision settings' bounds (issue 7)."""

from __future__ import annotations

import pytest

from helpline.config import Config
from helpline.errors import ConfigError


def test_the_defaults_are_valid() -> None:
    config = Config.from_env({})
    assert config.stats_min_count == 5
    assert config.service_level_target_s == 60.0
    assert config.metrics_token == ""


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("SERVICE_LEVEL_TARGET_S", "0"),
        ("DASHBOARD_INTERVAL_S", "0"),
        ("STATS_RETENTION_S", "60"),
        ("STATS_ROLLUP_S", "0"),
        ("STATS_MIN_COUNT", "1"),
        ("STATS_MIN_COUNT", "-5"),
        ("SETUP_TOKEN_TTL_S", "-1"),
        ("METRICS_TOKEN", "short"),
        ("METRICS_TOKEN", "a token with spaces in it"),
    ],
)
def test_out_of_range_settings_stop_the_start(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name.lower()):
        Config.from_env({f"HELPLINE_{name}": value})


@pytest.mark.parametrize("languages", ["en,english", "en,EN", "en,pt_br", "x"])
def test_queue_codes_are_language_tags_in_normal_form(languages: str) -> None:
    with pytest.raises(ConfigError, match="bad language code"):
        Config.from_env({"HELPLINE_LANGUAGES": languages})
    assert Config.from_env({"HELPLINE_LANGUAGES": "en,pt-br,sr-latn"}).languages[1] == "pt-br"


def test_settings_within_range_are_taken() -> None:
    config = Config.from_env(
        {
            "HELPLINE_STATS_MIN_COUNT": "10",
            "HELPLINE_STATS_RETENTION_S": "7200",
            "HELPLINE_METRICS_TOKEN": "0123456789abcdef-token",
        }
    )
    assert config.stats_min_count == 10
    assert config.stats_retention_s == 7200.0
    assert config.metrics_token == "0123456789abcdef-token"
