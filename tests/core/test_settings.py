"""Settings: environment parsing, one-line errors naming the variable, secrets never shown, frozen."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from core.settings import Settings, SettingsError, from_context, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No STANCEWATCH_* from the caller's shell and no .env from the checkout leak into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("STANCEWATCH_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STANCEWATCH_BROKER_PORT", "29999")
    monkeypatch.setenv("STANCEWATCH_TOPIC_PREFIX", "dev.")
    monkeypatch.setenv("STANCEWATCH_DATA_DIR", str(tmp_path / "d"))
    settings = load_settings()
    assert settings.broker_port == 29999
    assert settings.topic_prefix == "dev."
    assert settings.data_dir == tmp_path / "d"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("STANCEWATCH_TOPIC_PARTITIONS=7\n")
    assert load_settings().topic_partitions == 7


def test_overrides_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCEWATCH_TOPIC_PARTITIONS", "5")
    assert load_settings(topic_partitions=2).topic_partitions == 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STANCEWATCH_BROKER_PORT", "not-a-port"),
        ("STANCEWATCH_BROKER_PORT", "70000"),
        ("STANCEWATCH_TOPIC_PARTITIONS", "0"),
        ("STANCEWATCH_LOG_LEVEL", "LOUD"),
        ("STANCEWATCH_KAFKA_BOOTSTRAP", "localhost"),
        ("STANCEWATCH_KAFKA_BOOTSTRAP", "a:9092,b:port"),
    ],
)
def test_bad_value_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert message.startswith(f"{name}: ")
    assert "\n" not in message
    assert "fix the environment variable" in message


def test_bootstrap_list_is_accepted_and_disables_local_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().uses_local_broker is True
    monkeypatch.setenv("STANCEWATCH_KAFKA_BOOTSTRAP", " kafka-1:9092,kafka-2:9092 ")
    settings = load_settings()
    assert settings.kafka_bootstrap == "kafka-1:9092,kafka-2:9092"
    assert settings.uses_local_broker is False


def test_secrets_are_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "STANCEWATCH_SLACK_WEBHOOK_URL": "https://hooks.example.test/T000/SECRET-slack-token",
        "STANCEWATCH_WEBHOOK_URL": "https://hook.example.test/SECRET-webhook-token",
        "STANCEWATCH_SMTP_PASSWORD": "SECRET-smtp-password",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    shown = repr(settings) + str(settings) + settings.model_dump_json()
    for value in secrets.values():
        assert value not in shown
    assert settings.smtp_password is not None
    assert settings.smtp_password.get_secret_value() == "SECRET-smtp-password"


def test_bad_value_error_does_not_echo_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCEWATCH_SMTP_PORT", "SECRET-in-wrong-place")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "SECRET-in-wrong-place" not in str(err.value)


def test_settings_are_frozen() -> None:
    settings = load_settings()
    with pytest.raises(ValidationError):
        settings.broker_port = 1


def test_from_context_requires_loaded_settings() -> None:
    class Ctx:
        def __init__(self, obj: object) -> None:
            self.obj = obj

        def find_root(self) -> Ctx:
            return self

    settings = load_settings()
    assert from_context(Ctx(settings)) is settings
    assert isinstance(from_context(Ctx(settings)), Settings)
    with pytest.raises(RuntimeError, match="not loaded"):
        from_context(Ctx(None))


def test_the_baseline_follows_the_data_dir_and_nothing_defaults_to_shared(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STANCEWATCH_DATA_DIR", str(tmp_path / "d"))
    settings = load_settings()
    assert settings.baseline_path == tmp_path / "d" / "baseline.yaml"
    assert settings.baseline_article is None and settings.feeds_file is None
    assert load_settings(baseline_path=tmp_path / "b.yaml").baseline_path == tmp_path / "b.yaml"
    monkeypatch.setenv("STANCEWATCH_BASELINE_PATH", str(tmp_path / "e.yaml"))
    assert load_settings().baseline_path == tmp_path / "e.yaml"
    defaults = [str(f.default) for f in Settings.model_fields.values()]
    assert not [d for d in defaults if "shared" in d], "no default points into ../shared"
