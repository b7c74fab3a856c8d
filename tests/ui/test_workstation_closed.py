"""`analyze --session`, `report` and `export` close their workstation (its database connections), also when
the command fails; ``Workstation`` is a context manager."""

from __future__ import annotations

import pytest

from ui import cli
from ui.context import Workstation


@pytest.mark.parametrize("argv", [["analyze", "--session", "999"], ["report", "--session", "999"],
                                  ["export", "--session", "999"]])
def test_headless_commands_close_their_workstation(tmp_path, monkeypatch, capsys, argv: list[str]) -> None:
    monkeypatch.setenv("GLUTELAB_PASSWORD", "admin-password-1")
    assert cli.main(["db", "init-admin", "--data-dir", str(tmp_path)]) == 0
    closed: list[Workstation] = []
    real_close = Workstation.close
    monkeypatch.setattr(Workstation, "close", lambda self: (closed.append(self), real_close(self))[-1])
    assert cli.main([*argv, "--user", "admin", "--data-dir", str(tmp_path)]) == 2  # no session 999
    assert "999" in capsys.readouterr().err
    assert len(closed) == 1


def test_workstation_is_a_context_manager(tmp_path) -> None:
    with Workstation.open(str(tmp_path)) as ws:
        assert ws.engine.dialect.name == "sqlite"
        pool = ws.engine.pool
    assert ws.engine.pool is not pool  # dispose() replaced the pool: every connection was closed
