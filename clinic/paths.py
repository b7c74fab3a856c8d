"""Where a workstation keeps its things: one data dir holds the SQLite database, spool, logs and settings."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from clinic.identity import APP_NAME


def private_folder(path: Path) -> None:
    """0700 on a folder of ours (older versions made them 0755); the data dir root itself is only made 0700
    when GluteLab creates it, since ``--data-dir`` may name a folder the clinic shares on purpose."""
    try:
        if path.stat().st_mode & 0o077 and path.stat().st_uid == os.getuid():
            path.chmod(0o700)
    except OSError:
        pass


def private_files() -> None:
    """Files and folders this process creates are its user's alone (0600 / 0700): exports, reports, logs,
    spool and backups hold health data, and the workstation may be shared with other local accounts."""
    os.umask(0o077)


@dataclass(frozen=True)
class DataDir:
    root: Path

    @classmethod
    def resolve(cls, explicit: str | os.PathLike[str] | None = None) -> DataDir:
        """``--data-dir`` wins, then ``GLUTELAB_DATA_DIR``, then the platform's user data dir."""
        chosen = explicit or os.environ.get("GLUTELAB_DATA_DIR") or platformdirs.user_data_dir(APP_NAME)
        root = Path(chosen).expanduser().resolve()
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for sub in ("spool", "logs", "reports", "exports"):
            (root / sub).mkdir(mode=0o700, exist_ok=True)
            private_folder(root / sub)
        return cls(root)

    @property
    def database_path(self) -> Path:
        return self.root / "glutelab.sqlite3"

    @property
    def spool(self) -> Path:
        return self.root / "spool"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def settings_file(self) -> Path:
        return self.root / "settings.json"

    def database_url(self, explicit: str | None = None) -> str:
        """``--database-url`` wins, then ``GLUTELAB_DATABASE_URL``, then SQLite in this data dir."""
        return explicit or os.environ.get("GLUTELAB_DATABASE_URL") or f"sqlite:///{self.database_path}"
