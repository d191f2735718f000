"""Operator commands that sign or change what cannot be undone are refused in production."""

from __future__ import annotations

import pytest

from credential_service.platform.errors import NotAuthorised
from credential_service.staff.cli_guard import require_dev


def test_signing_commands_work_in_dev_and_are_refused_in_production() -> None:
    require_dev("class sign", env="dev")
    require_dev("class sign", env="test")
    with pytest.raises(NotAuthorised) as refused:
        require_dev("class sign", env="production")
    assert refused.value.extra["reason"] == "operator_command_refused"
    assert "own account" in refused.value.message.en and "tài khoản của chính mình" in refused.value.message.vi


def test_the_cli_refuses_them_under_production_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from credential_service.app.cli import main

    monkeypatch.setenv("SOGOC_ENV", "production")
    for argv in (["class", "sign", "--class", "10A1", "--step", "principal", "--staff", "x"],
                 ["document", "sign", "x.pdf", "--title", "t", "--staff", "x", "--out", "y.pdf"]):  # fmt: skip
        assert main(argv) != 0
