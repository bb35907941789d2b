"""A real PostgreSQL server for tests and local runs.

`DATABASE_URL` wins when set. Otherwise a throwaway cluster is created from the PostgreSQL
binaries on the machine (initdb + pg_ctl) on a free loopback port and removed on stop. initdb
refuses to run as root, so as root the cluster runs as an unprivileged system user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

_SEARCH = ("/usr/lib/postgresql/*/bin", "/usr/local/pgsql/bin")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    for pattern in _SEARCH:
        dirs = sorted(glob.glob(pattern), reverse=True)
        for d in dirs:
            if (Path(d) / "pg_ctl").exists():
                return Path(d)
    raise RuntimeError(
        "PostgreSQL binaries not found: install them (apt-get install -y postgresql) or set DATABASE_URL"
    )


def _run_as() -> str | None:
    """The unprivileged user to run the cluster as when we are root, else None."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise RuntimeError("running as root and no unprivileged user (postgres/nobody) exists")


@dataclass
class PostgresServer:
    """A running PostgreSQL; `url` is a libpq URL for psycopg."""

    url: str
    _data_dir: Path | None = None
    _bin: Path | None = None
    _user: str | None = None
    _owned: bool = field(default=False)

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(a) for a in args]
        if self._user:
            return ["runuser", "-u", self._user, "--", *cmd]
        return cmd

    def stop(self) -> None:
        if not self._owned or self._data_dir is None or self._bin is None:
            return
        subprocess.run(
            self._cmd(str(self._bin / "pg_ctl"), "-D", str(self._data_dir / "data"), "-m", "immediate", "stop"),
            check=False,
            capture_output=True,
        )
        shutil.rmtree(self._data_dir, ignore_errors=True)
        self._owned = False

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_postgres(database_url: str | None = None) -> PostgresServer:
    url = database_url if database_url is not None else os.environ.get("DATABASE_URL")
    if url:
        return PostgresServer(url=url)
    bindir = _bin_dir()
    user = _run_as()
    root = Path(tempfile.mkdtemp(prefix="omegacopy-pg-"))
    data = root / "data"
    if user:
        info = pwd.getpwnam(user)
        os.chown(root, info.pw_uid, info.pw_gid)
    server = PostgresServer(url="", _data_dir=root, _bin=bindir, _user=user, _owned=True)
    port = free_port()
    try:
        subprocess.run(
            server._cmd(
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                "omegacopy",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ),
            check=True,
            capture_output=True,
        )
        opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        subprocess.run(
            server._cmd(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            server._cmd(str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "omegacopy", "omegacopy"),
            check=True,
            capture_output=True,
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        server.stop()
        raise RuntimeError(f"PostgreSQL failed to start: {exc.stderr!r} {log}") from exc
    server.url = f"postgresql://omegacopy@127.0.0.1:{port}/omegacopy"
    return server
