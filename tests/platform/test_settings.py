"""Settings come from SOGOC_ variables, and production refuses the dev keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from credential_service.platform.errors import ConfigurationError
from credential_service.platform.settings import DEV_KEYS_DIR, Settings


def test_the_database_url_comes_from_sogoc_database_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOGOC_DATABASE_URL", "postgresql+psycopg://u@db/sogoc")
    assert Settings().database_url == "postgresql+psycopg://u@db/sogoc"


def test_the_default_database_is_sqlite_under_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOGOC_DATABASE_URL", raising=False)
    url = Settings().database_url
    assert url.startswith("sqlite:///") and url.endswith("/var/sogoc.db")


def test_production_refuses_the_dev_keys_directory() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings(env="production", keys_dir=DEV_KEYS_DIR)
    assert "keys/dev" in info.value.message.vi and "Production" in info.value.message.en


def test_production_refuses_a_dev_trust_root(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError):
        Settings(env="production", keys_dir=tmp_path, trust_roots=[DEV_KEYS_DIR / "out" / "root.cert.pem"])


def test_production_with_its_own_keys_is_accepted_and_does_not_serve_the_dev_pki(tmp_path: Path) -> None:
    settings = Settings(
        env="production", keys_dir=tmp_path, trust_roots=[tmp_path / "root.pem"], ledger_key_path=tmp_path / "log.key"
    )
    assert settings.dev_pki_serve is False
    assert not settings.is_dev
