"""A real ClickHouse engine (chDB) for tests and the local stack, reached over HTTP.

Production code talks to ClickHouse through ``clickhouse_connect.get_client(host, port, ...)``;
this starts ``omegacopy.devstack.clickhouse_http`` in a child process (so chDB, ~1 GB and one
engine per process, never loads in the caller) and hands out clients for it::

    with start_clickhouse() as ch:
        client = ch.client()
        client.command("CREATE TABLE t (x UInt8) ENGINE = MergeTree ORDER BY x")

The child holds our end of its stdin: when this process dies, however abruptly, the pipe closes
and the child shuts itself down, so no server outlives its parent.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import selectors
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from pathlib import Path
from types import TracebackType
from typing import IO, Any

_STARTUP_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 15.0
_LOG_LINES = 200


class ClickHouseServerError(RuntimeError):
    """The server could not be started (the message carries the tail of its log)."""


class ClickHouseServer:
    """A running chDB-backed ClickHouse HTTP server (a child process)."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        host: str,
        port: int,
        data_dir: Path,
        *,
        owns_data_dir: bool,
        log: collections.deque[str],
        log_reader: threading.Thread,
    ) -> None:
        self.host = host
        self.port = port
        self.data_dir = data_dir
        self._process = process
        self._log = log
        self._clients: list[Any] = []
        self._lock = threading.Lock()
        self._resources = (process, log_reader, data_dir if owns_data_dir else None)
        # Also at garbage collection / interpreter exit, if nobody called stop().
        self._finalizer = weakref.finalize(self, _shutdown, *self._resources, _STOP_TIMEOUT_S)

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def log_tail(self) -> str:
        """The server's last stderr lines (startup errors, crashes; every request when verbose)."""
        return "".join(self._log)

    def client(self, **kw: Any) -> Any:
        """A new ``clickhouse_connect`` client for this server; ``kw`` go to ``get_client``."""
        import clickhouse_connect

        options: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": "default",
            "password": "",
        }
        options.update(kw)
        client = clickhouse_connect.get_client(**options)
        with self._lock:
            self._clients.append(client)
        return client

    def stop(self, timeout: float = _STOP_TIMEOUT_S) -> None:
        """Stop the server and reap it: stdin EOF (graceful), then SIGTERM, then SIGKILL.
        Idempotent. A temporary data dir is removed afterwards."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            with contextlib.suppress(Exception):
                client.close()
        if self._finalizer.detach() is not None:  # None: already stopped
            _shutdown(*self._resources, timeout)

    def __enter__(self) -> ClickHouseServer:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"host={self.host!r}, port={self.port}, pid={self.pid}"
        return f"ClickHouseServer({where}, data_dir={self.data_dir})"


def start_clickhouse(
    data_dir: Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = _STARTUP_TIMEOUT_S,
    verbose: bool = False,
) -> ClickHouseServer:
    """Start a server on ``host:port`` (0: a free port) over ``data_dir``.

    ``data_dir`` None: a temporary directory, removed on stop. A given directory keeps its
    tables across restarts; only one server at a time may use it.
    """
    owns = data_dir is None
    directory = Path(tempfile.mkdtemp(prefix="omegacopy-ch-")) if data_dir is None else Path(data_dir)
    cmd = [
        sys.executable,
        "-m",
        "omegacopy.devstack.clickhouse_http",
        "--host",
        host,
        "--port",
        str(port),
        "--data-dir",
        str(directory),
        "--exit-on-stdin-eof",
    ]
    if verbose:
        cmd.append("--verbose")
    env = dict(os.environ)
    # The child must import this very package, also when it is not installed (src layout).
    package_root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    process = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, close_fds=True
    )
    log: collections.deque[str] = collections.deque(maxlen=_LOG_LINES)
    assert process.stderr is not None
    reader = threading.Thread(target=_collect, args=(process.stderr, log), daemon=True, name="chdb-http-log")
    reader.start()
    server = ClickHouseServer(process, host, 0, directory, owns_data_dir=owns, log=log, log_reader=reader)
    try:
        ready = _read_ready_line(process, startup_timeout)
    except ClickHouseServerError as exc:
        server.stop(timeout=5.0)
        raise ClickHouseServerError(f"{exc}; server log:\n{server.log_tail()}") from None
    except BaseException:
        server.stop(timeout=5.0)
        raise
    server.host, server.port = str(ready["host"]), int(ready["port"])
    return server


def _shutdown(
    process: subprocess.Popen[bytes], log_reader: threading.Thread, temp_dir: Path | None, timeout: float
) -> None:
    """Stop and reap the child: stdin EOF (graceful), then SIGTERM, then SIGKILL; drop a temp dir."""
    if process.stdin is not None and not process.stdin.closed:
        with contextlib.suppress(OSError):
            process.stdin.close()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # The child is gone, so its stderr hits EOF and the reader ends by itself.
    log_reader.join(timeout=5.0)
    if temp_dir is not None:
        shutil.rmtree(temp_dir, ignore_errors=True)


def _read_ready_line(process: subprocess.Popen[bytes], timeout: float) -> dict[str, Any]:
    """The child's one JSON line on stdout, within ``timeout`` seconds."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    buffer = b""
    with process.stdout, selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while b"\n" not in buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ClickHouseServerError(f"chDB HTTP server not ready after {timeout:.0f} s")
            if not selector.select(remaining):
                continue
            chunk = os.read(process.stdout.fileno(), 4096)
            if not chunk:
                process.wait(timeout=5.0)
                raise ClickHouseServerError(f"chDB HTTP server exited (code {process.returncode}) before ready")
            buffer += chunk
    try:
        ready: dict[str, Any] = json.loads(buffer.split(b"\n", 1)[0])
    except ValueError:
        raise ClickHouseServerError(f"unexpected ready line from chDB HTTP server: {buffer!r}") from None
    return ready


def _collect(stream: IO[bytes], log: collections.deque[str]) -> None:
    # Always drained, so a chatty child never blocks on a full stderr pipe.
    with stream, contextlib.suppress(Exception):
        for line in stream:
            log.append(line.decode("utf-8", "replace"))
