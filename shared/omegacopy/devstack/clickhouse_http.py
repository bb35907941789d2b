"""The ClickHouse HTTP interface in front of chDB, so unmodified clickhouse-connect works locally.

No ClickHouse server is installable here; chDB is the real engine in-process. This module serves
the subset of the HTTP protocol that clickhouse-connect uses:

- ``GET /ping`` and ``GET /`` answer ``Ok.``; ``GET /?query=`` runs a query;
- ``POST /?query_id=&session_id=&database=&param_x=&<setting>=`` with the SQL in the body, in the
  ``query`` URL parameter, or both (joined by a newline, as ClickHouse does);
- ``multipart/form-data`` bodies (fields ``query`` and ``param_*``), used for large parameter sets;
- ``INSERT ... FORMAT <fmt>`` followed by data, streamed into chDB's ``send_insert``; the body may
  be chunked and compressed (lz4 / zstd / gzip / deflate; br when brotli is installed), with any
  number of concatenated frames - clickhouse-connect sends one lz4 frame per block;
- URL parameters that are engine settings apply to their request only; unknown ones are ignored;
- errors as HTTP 500 with ``Code: N. DB::Exception: ...`` and ``X-ClickHouse-Exception-Code``.

Responses are never compressed: the client only decompresses when ``Content-Encoding`` says so,
and on loopback compression costs more than it saves.

Not like a real server: there is one engine session for everyone, so ``SET`` and ``USE`` sent as
statements are global (``session_id`` is ignored); no authentication; no external data;
``client_protocol_version`` is ignored (clickhouse-connect then reads blocks without block info).

chDB allows one engine per process, so every engine call runs under one lock; the HTTP side is
threaded. Run: ``python -m omegacopy.devstack.clickhouse_http --port 0 --data-dir DIR``; it prints
one JSON line ``{"host": ..., "port": ...}`` on stdout when ready.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import functools
import json
import os
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, BinaryIO, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

# ClickHouse error codes this module raises itself (names as ClickHouse spells them).
CANNOT_READ_ALL_DATA: Final = 33
BAD_ARGUMENTS: Final = 36
NOT_IMPLEMENTED: Final = 48
SYNTAX_ERROR: Final = 62
UNKNOWN_COMPRESSION_METHOD: Final = 89
CANNOT_DECOMPRESS: Final = 271
STD_EXCEPTION: Final = 1001
_CODE_NAMES: Final = {
    CANNOT_READ_ALL_DATA: "CANNOT_READ_ALL_DATA",
    BAD_ARGUMENTS: "BAD_ARGUMENTS",
    NOT_IMPLEMENTED: "NOT_IMPLEMENTED",
    SYNTAX_ERROR: "SYNTAX_ERROR",
    UNKNOWN_COMPRESSION_METHOD: "UNKNOWN_COMPRESSION_METHOD",
    CANNOT_DECOMPRESS: "CANNOT_DECOMPRESS",
    STD_EXCEPTION: "STD_EXCEPTION",
}

# Request-body pieces handed to the engine: big enough to amortise the per-call cost of chDB,
# small enough to keep memory flat for large inserts.
_READ_SIZE: Final = 1 << 20
# How much of a body is buffered to find the end of an INSERT's SQL head before streaming.
_HEAD_LIMIT: Final = 256 * 1024
# Insert data read ahead before taking the engine lock: other requests run while a client is
# still producing its blocks; only bigger inserts hold the lock while they stream.
_SPOOL_LIMIT: Final = 128 << 20
# Idle keep-alive connections are closed after this long (and a stalled upload gives up).
_SOCKET_TIMEOUT_S: Final = 300.0

# URL parameters of the HTTP interface that are not engine settings.
_TRANSPORT_PARAMS: Final = frozenset(
    {
        "query",
        "query_id",
        "session_id",
        "session_timeout",
        "session_check",
        "database",
        "default_format",
        "compress",
        "decompress",
        "buffer_size",
        "wait_end_of_query",
        "client_protocol_version",
        "quota_key",
        "role",
        "user",
        "password",
        # Meaningful only to a real HTTP server (and `readonly` could lock the shared session).
        "readonly",
        "enable_http_compression",
        "send_progress_in_http_headers",
        "http_headers_progress_interval_ms",
        "cancel_http_readonly_queries_on_client_close",
        "http_response_buffer_size",
        "http_wait_end_of_query",
    }
)
# Statements whose result has rows (ClickHouse then reports X-ClickHouse-Format, which
# clickhouse-connect's command() uses to tell "empty result" from "no result").
_RESULT_KINDS: Final = frozenset(
    {"SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXISTS", "EXPLAIN", "CHECK", "VALUES", "("}
)
_CONTENT_TYPES: Final = {
    "TabSeparated": "text/tab-separated-values; charset=UTF-8",
    "TSV": "text/tab-separated-values; charset=UTF-8",
    "JSON": "application/json; charset=UTF-8",
    "JSONCompact": "application/json; charset=UTF-8",
    "CSV": "text/csv; charset=UTF-8; header=absent",
}
_ERROR_CODE_RE: Final = re.compile(r"Code: (\d+)\.")


class ClickHouseError(Exception):
    """An error to report the way ClickHouse does: code + full message text."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(text)
        self.code = code
        self.text = text

    @classmethod
    def of(cls, code: int, message: str) -> ClickHouseError:
        name = _CODE_NAMES.get(code, "UNKNOWN")
        return cls(code, f"Code: {code}. DB::Exception: {message}. ({name})")

    @classmethod
    def from_engine(cls, exc: BaseException) -> ClickHouseError:
        """chDB raises RuntimeError/ChdbError whose text embeds ``Code: N. DB::Exception: ...``
        (sometimes after a wrapper prefix, which is dropped)."""
        text = str(exc)
        match = _ERROR_CODE_RE.search(text)
        if match is None:
            return cls.of(STD_EXCEPTION, f"{type(exc).__name__}: {text}")
        return cls(int(match.group(1)), text[match.start() :].rstrip())


# --- SQL scanning ------------------------------------------------------------------------------

_TOKEN_RE: Final = re.compile(
    rb"""
      (?P<ws>\s+)
    | (?P<comment>--[^\n]*|\#[ !][^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>'(?:[^'\\]|\\.|'')*')
    | (?P<quoted>`(?:[^`\\]|\\.|``)*`|"(?:[^"\\]|\\.|"")*")
    | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    | (?P<open>[(\[{])
    | (?P<close>[)\]}])
    | (?P<semi>;)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_INSERT_STOP_WORDS: Final = frozenset({b"VALUES", b"SELECT", b"WITH"})


@dataclass(frozen=True)
class Statement:
    """What the server must know about a statement without parsing it fully.

    For ``INSERT ... FORMAT f`` the text splits into ``head`` (the statement without its FORMAT
    clause, as chDB's send_insert wants it) and the data starting at ``data_start``.
    """

    kind: str
    output_format: str | None = None
    insert_format: str | None = None
    head: bytes = b""
    data_start: int = 0

    @property
    def has_result(self) -> bool:
        return self.kind in _RESULT_KINDS or self.output_format is not None


def scan_statement(text: bytes) -> Statement:
    """Classify ``text`` by its first keyword and find its top-level FORMAT clause.

    Works on bytes because an INSERT's data (possibly binary) follows its SQL; scanning stops
    at the data. Strings, quoted identifiers and comments are skipped, so ``format`` in them
    is not mistaken for the clause.
    """
    kind = ""
    depth = 0
    format_at: int | None = None  # offset of a top-level FORMAT keyword awaiting its name
    output_format: str | None = None
    for tok in _TOKEN_RE.finditer(text):
        group = tok.lastgroup
        if group in ("ws", "comment"):
            continue
        if group in ("open", "close"):
            depth = depth + 1 if group == "open" else max(0, depth - 1)
            kind, format_at = kind or "(", None
            continue
        if not kind:
            kind = tok.group().decode("ascii", "replace").upper()
            continue
        if depth:
            continue
        if format_at is not None and group == "word":
            name = tok.group().decode("ascii")
            if kind == "INSERT":
                data_start = _data_start(text, tok.end())
                return Statement(kind, insert_format=name, head=text[:format_at], data_start=data_start)
            output_format, format_at = name, None
            continue
        word = tok.group().upper() if group == "word" else b""
        if group == "semi" or (output_format is not None and word == b"SETTINGS"):
            break  # the statement ends, or only its settings follow its FORMAT clause
        # Anything else after "FORMAT x" means that was not the FORMAT clause (say, a column).
        output_format, format_at = None, tok.start() if word == b"FORMAT" else None
        if kind == "INSERT" and word in _INSERT_STOP_WORDS:
            break
    return Statement(kind, output_format=output_format)


def _data_start(text: bytes, pos: int) -> int:
    """ClickHouse: data starts after the first newline following the format name, or after
    the blanks if there is no newline."""
    end = len(text)
    while pos < end and text[pos] in b" \t\f":
        pos += 1
    if pos < end and text[pos] == 0x0D:
        pos += 1
    if pos < end and text[pos] == 0x0A:
        pos += 1
    return pos


# --- request bodies ----------------------------------------------------------------------------


class RequestBody:
    """The raw request body (Content-Length or chunked), read in bounded pieces.

    All read state lives on the object, so a reader abandoned mid-body (an insert that failed)
    can be followed by drain(), which resumes exactly there.
    """

    def __init__(self, rfile: BinaryIO, headers: Mapping[str, str]) -> None:
        self._rfile = rfile
        self._chunked = "chunked" in (headers.get("Transfer-Encoding") or "").lower()
        length = headers.get("Content-Length")
        try:
            self._remaining = int(length) if length and not self._chunked else 0
        except ValueError:
            raise ClickHouseError.of(BAD_ARGUMENTS, f"Bad Content-Length: {length!r}") from None
        if self._remaining < 0:
            raise ClickHouseError.of(BAD_ARGUMENTS, f"Bad Content-Length: {length!r}")
        self._chunk_left = 0
        self._spool: collections.deque[bytes] = collections.deque()
        self.complete = not self._chunked and self._remaining == 0  # all of it read off the socket
        self.broken = False  # framing lost: the connection cannot be reused

    def pieces(self) -> Iterator[bytes]:
        while self._spool or not self.complete:
            piece = self._spool.popleft() if self._spool else self._read_piece()
            if piece:
                yield piece

    def prefetch(self, limit: int) -> None:
        """Read up to ``limit`` bytes ahead, so a slow sender is waited for without the engine."""
        size = sum(len(p) for p in self._spool)
        while size < limit and not self.complete:
            piece = self._read_piece()
            self._spool.append(piece)
            size += len(piece)

    def drain(self) -> None:
        """Consume what is left so the keep-alive connection stays in step."""
        self._spool.clear()
        while not self.complete:
            self._read_piece()

    def _read_piece(self) -> bytes:
        try:
            return self._read_chunked() if self._chunked else self._read_sized()
        except (ClickHouseError, OSError):
            self.broken = True
            raise

    def _read_sized(self) -> bytes:
        piece = self._rfile.read(min(self._remaining, _READ_SIZE))
        if not piece:
            raise ClickHouseError.of(CANNOT_READ_ALL_DATA, "Request body ended early")
        self._remaining -= len(piece)
        self.complete = self._remaining == 0
        return piece

    def _read_chunked(self) -> bytes:
        if self._chunk_left == 0:
            line = self._rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16) if line.endswith(b"\n") else -1
            except ValueError:
                size = -1
            if size < 0:
                raise ClickHouseError.of(CANNOT_READ_ALL_DATA, "Broken chunked request body")
            if size == 0:
                while self._rfile.readline(1024).strip():  # trailers, up to the blank line
                    pass
                self.complete = True
                return b""
            self._chunk_left = size
        piece = self._rfile.read(min(self._chunk_left, _READ_SIZE))
        if not piece:
            raise ClickHouseError.of(CANNOT_READ_ALL_DATA, "Request body ended early")
        self._chunk_left -= len(piece)
        if self._chunk_left == 0 and self._rfile.read(2) != b"\r\n":
            raise ClickHouseError.of(CANNOT_READ_ALL_DATA, "Broken chunked request body")
        return piece


class _Inflater(Protocol):
    """The common shape of lz4/zstd/zlib/brotli streaming decompressors."""

    def decompress(self, data: bytes) -> bytes: ...


class StreamDecoder:
    """Decodes a Content-Encoding stream made of any number of concatenated frames/members.

    clickhouse-connect compresses each insert block as its own lz4 (or zstd) frame; a decoder
    that stops at the end of the first frame silently loses every later block.
    """

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._new = _inflater_factory(encoding)
        self._inflater: Any = None  # the frame in progress, if any
        self._pending = False  # bytes fed into an unfinished frame

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        try:
            while data:
                if self._inflater is None:
                    self._inflater = self._new()
                out.append(self._inflater.decompress(data))
                self._pending = True
                if getattr(self._inflater, "eof", False):
                    data = bytes(self._inflater.unused_data or b"")
                    self._inflater = None
                    self._pending = False
                else:
                    data = b""
        except ClickHouseError:
            raise
        except Exception as exc:
            raise ClickHouseError.of(CANNOT_DECOMPRESS, f"Cannot decode {self.encoding} body: {exc}") from None
        return out[0] if len(out) == 1 else b"".join(out)

    def finish(self) -> None:
        if self._pending and self.encoding != "br":
            raise ClickHouseError.of(CANNOT_DECOMPRESS, f"Truncated {self.encoding} body")


def _inflater_factory(encoding: str) -> Callable[[], _Inflater]:
    if encoding == "lz4":
        import lz4.frame

        return lz4.frame.LZ4FrameDecompressor  # type: ignore[no-any-return]
    if encoding == "zstd":
        try:
            from compression import zstd  # type: ignore[import-not-found]  # Python >= 3.14
        except ImportError:
            from backports import zstd  # installed with clickhouse-connect
        return zstd.ZstdDecompressor  # type: ignore[no-any-return]
    if encoding == "gzip":
        return functools.partial(zlib.decompressobj, wbits=16 + zlib.MAX_WBITS)  # gzip header
    if encoding == "deflate":
        return zlib.decompressobj
    if encoding == "br":
        try:
            import brotli
        except ImportError:
            pass
        else:
            return _brotli_factory(brotli)
    raise ClickHouseError.of(UNKNOWN_COMPRESSION_METHOD, f"Unknown Content-Encoding of HTTP request: {encoding}")


def _brotli_factory(brotli: Any) -> Callable[[], _Inflater]:
    class _Brotli:
        def __init__(self) -> None:
            self._d = brotli.Decompressor()

        def decompress(self, data: bytes) -> bytes:
            return self._d.process(data)  # type: ignore[no-any-return]

    return _Brotli


def decoded(pieces: Iterable[bytes], encoding: str) -> Iterator[bytes]:
    """The request body with its Content-Encoding removed."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity", "none"):
        yield from pieces
        return
    decoder = StreamDecoder(encoding)
    for piece in pieces:
        out = decoder.feed(piece)
        if out:
            yield out
    decoder.finish()


def parse_multipart(body: bytes, content_type: str) -> dict[str, str]:
    """Text fields of a multipart/form-data body. File parts (external data) are refused."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        raise ClickHouseError.of(BAD_ARGUMENTS, "multipart/form-data without boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    fields: dict[str, str] = {}
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, sep, value = part.partition(b"\r\n\r\n")
        if not sep:
            raise ClickHouseError.of(BAD_ARGUMENTS, "Malformed multipart/form-data part")
        disposition = next(
            (line for line in head.split(b"\r\n") if line.lower().startswith(b"content-disposition")), b""
        )
        name = re.search(rb'\bname="([^"]*)"', disposition)
        if name is None:
            raise ClickHouseError.of(BAD_ARGUMENTS, "multipart/form-data part without a name")
        if re.search(rb'\bfilename="', disposition):
            raise ClickHouseError.of(NOT_IMPLEMENTED, "External data (file parts) is not supported by chDB-http")
        if value.endswith(b"\r\n"):
            value = value[:-2]
        fields[name.group(1).decode("utf-8")] = _utf8(value, "form field")
    return fields


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ClickHouseError.of(BAD_ARGUMENTS, f"The {what} is not valid UTF-8") from None


# --- the engine --------------------------------------------------------------------------------


@dataclass
class StatementOutcome:
    """One statement's result. ``keepalive`` holds the chDB result that owns ``body``'s memory."""

    body: memoryview | bytes
    read_rows: int = 0
    read_bytes: int = 0
    written_rows: int = 0
    written_bytes: int = 0
    elapsed_s: float = 0.0
    keepalive: object = None

    def summary(self) -> str:
        result_rows = self.written_rows or self.read_rows
        return json.dumps(
            {
                "read_rows": str(self.read_rows),
                "read_bytes": str(self.read_bytes),
                "written_rows": str(self.written_rows),
                "written_bytes": str(self.written_bytes),
                "total_rows_to_read": str(self.read_rows),
                "result_rows": str(result_rows),
                "result_bytes": str(len(self.body)),
                "elapsed_ns": str(int(self.elapsed_s * 1e9)),
            },
            separators=(",", ":"),
        )


def _quote_identifier(name: str) -> str:
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _quote_string(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class ChdbEngine:
    """The chDB session, its lock, and the per-request database and settings.

    HTTP settings are per request while the chDB session is shared, so before each statement
    the session is brought to the request's settings with SET (only for values that differ
    from what is already applied, so a steady client costs nothing).
    """

    def __init__(self, data_dir: str) -> None:
        from chdb.session import Session

        self._lock = threading.Lock()
        self._session: Any = Session(data_dir)
        info = self._text("SELECT version(), timezone()").rstrip("\n").split("\t")
        self.version, self.timezone = info[0], info[1]
        self.known_settings = frozenset(self._text("SELECT name FROM system.settings").split())
        self._database: str | None = None  # None: unknown, USE before the next statement
        self._applied: dict[str, str] = {}

    def _text(self, sql: str) -> str:
        return str(self._session.query(sql, "TabSeparated").bytes().decode("utf-8"))

    def setting_params(self, params: Mapping[str, str]) -> dict[str, str]:
        """The URL parameters that are engine settings; unknown names are ignored, not fatal."""
        return {k: v for k, v in params.items() if k in self.known_settings and k not in _TRANSPORT_PARAMS}

    def execute(
        self,
        sql: bytes,
        statement: Statement,
        *,
        fmt: str,
        params: Mapping[str, str],
        settings: Mapping[str, str],
        database: str,
    ) -> StatementOutcome:
        started = time.perf_counter()
        with self._lock:
            self._prepare(settings, database)
            try:
                result = self._session.query(sql, fmt, params=dict(params) if params else None)
            except Exception as exc:
                raise ClickHouseError.from_engine(exc) from None
            finally:
                if statement.kind == "USE":
                    self._database = None
            if result.has_error():
                raise ClickHouseError.from_engine(RuntimeError(result.error_message()))
        # The reply is written from chDB's own buffer (no copy); `keepalive` holds its owners.
        memview = result.get_memview() if result.size() else None
        return StatementOutcome(
            body=memview.view() if memview is not None else b"",
            read_rows=int(result.rows_read()),
            read_bytes=int(result.bytes_read()),
            written_rows=int(result.rows_written()),
            written_bytes=int(result.bytes_written()),
            elapsed_s=time.perf_counter() - started,
            keepalive=(result, memview),
        )

    def insert(
        self,
        head: bytes,
        fmt: str,
        data: Iterable[bytes],
        *,
        settings: Mapping[str, str],
        database: str,
    ) -> StatementOutcome:
        """Stream ``data`` (``fmt``-encoded) into ``head`` (an INSERT without FORMAT clause)."""
        started = time.perf_counter()
        with self._lock:
            self._prepare(settings, database)
            try:
                inserter = self._session.send_insert(_utf8(head, "INSERT statement"), fmt)
            except ClickHouseError:
                raise
            except Exception as exc:
                raise ClickHouseError.from_engine(exc) from None
            try:
                for piece in data:
                    if piece:
                        inserter.append(piece)
                result = inserter.finish()
            except BaseException as exc:
                with contextlib.suppress(Exception):
                    inserter.cancel()
                if isinstance(exc, Exception) and not isinstance(exc, ClickHouseError):
                    raise ClickHouseError.from_engine(exc) from None
                raise
        return StatementOutcome(
            body=b"",
            written_rows=int(result.rows_written),
            written_bytes=int(result.bytes_written),
            elapsed_s=time.perf_counter() - started,
        )

    def _prepare(self, settings: Mapping[str, str], database: str) -> None:
        """Bring the session to the request's database and settings (lock held)."""
        if database != self._database:
            self._run(f"USE {_quote_identifier(database)}")
            self._database = database
        for name in [n for n in self._applied if n not in settings]:
            del self._applied[name]
            self._run(f"SET {name} = DEFAULT")
        for name, value in settings.items():
            if self._applied.get(name) == value:
                continue
            self._applied.pop(name, None)
            try:
                self._run(f"SET {name} = {_quote_string(value)}")
            except ClickHouseError:
                with contextlib.suppress(ClickHouseError):
                    self._run(f"SET {name} = DEFAULT")
                raise
            self._applied[name] = value

    def _run(self, sql: str) -> None:
        try:
            self._session.query(sql, "TabSeparated")
        except Exception as exc:
            raise ClickHouseError.from_engine(exc) from None

    def close(self, timeout_s: float = 10.0) -> None:
        """Close the session once in-flight statements finish (bounded wait)."""
        locked = self._lock.acquire(timeout=timeout_s)
        try:
            self._session.close()
        finally:
            if locked:
                self._lock.release()


# --- HTTP --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    sql: bytes
    statement: Statement
    params: dict[str, str]
    data: Iterator[bytes] | None  # INSERT data still to stream


class ClickHouseHttpHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "chDB-http"
    timeout = _SOCKET_TIMEOUT_S
    server: Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def do_GET(self) -> None:
        self._dispatch(has_body=False)

    def do_HEAD(self) -> None:
        self._dispatch(has_body=False)

    def do_POST(self) -> None:
        self._dispatch(has_body=True)

    def _dispatch(self, *, has_body: bool) -> None:
        try:
            url = urlsplit(self.path)
            params = dict(parse_qsl(url.query, keep_blank_values=True))
            if url.path == "/ping" or (url.path in ("", "/") and not has_body and "query" not in params):
                self._reply(200, b"Ok.\n", {"Content-Type": "text/html; charset=UTF-8"})
            elif url.path not in ("", "/"):
                self.close_connection = has_body  # its body is left unread
                self._reply(404, f"There is no handle {url.path}\n".encode(), {"Content-Type": "text/plain"})
            else:
                self._query(params, params.get("query_id") or str(uuid.uuid4()))
        except Exception as exc:  # one bad request never takes the server down
            self.close_connection = True
            with contextlib.suppress(Exception):
                self._error(ClickHouseError.of(STD_EXCEPTION, f"{type(exc).__name__}: {exc}"), "")

    def _query(self, params: dict[str, str], query_id: str) -> None:
        engine = self.server.engine
        body: RequestBody | None = None
        try:
            body = RequestBody(self.rfile, self.headers)  # type: ignore[arg-type]
            request = self._read_request(params, body)
            statement = request.statement
            settings = engine.setting_params(request.params)
            database = request.params.get("database") or "default"
            fmt = request.params.get("default_format") or "TabSeparated"
            if request.data is not None and statement.insert_format is not None:
                body.prefetch(_SPOOL_LIMIT)
                outcome = engine.insert(
                    statement.head,
                    statement.insert_format,
                    request.data,
                    settings=settings,
                    database=database,
                )
            else:
                query_params = {k[6:]: v for k, v in request.params.items() if k.startswith("param_")}
                outcome = engine.execute(
                    request.sql, statement, fmt=fmt, params=query_params, settings=settings, database=database
                )
        except ClickHouseError as err:
            if body is not None and not body.complete:
                try:
                    if body.broken:
                        raise ValueError("unreadable body")
                    body.drain()  # the client reads the error only after it has sent everything
                except Exception:
                    self.close_connection = True
            self._error(err, query_id)
            return
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Query-Id": query_id,
            "X-ClickHouse-Timezone": engine.timezone,
            "X-ClickHouse-Summary": outcome.summary(),
        }
        if statement.has_result:
            fmt = statement.output_format or fmt
            headers["X-ClickHouse-Format"] = fmt
            headers["Content-Type"] = _CONTENT_TYPES.get(fmt, "application/octet-stream")
        self._reply(200, outcome.body, headers)

    def _read_request(self, params: dict[str, str], body: RequestBody) -> _Request:
        pieces = decoded(body.pieces(), self.headers.get("Content-Encoding") or "")
        content_type = self.headers.get("Content-Type") or ""
        # Only multipart bodies are forms: like ClickHouse, a urlencoded body (curl --data-binary)
        # is plain SQL.
        if content_type.startswith("multipart/form-data"):
            params.update(parse_multipart(b"".join(pieces), content_type))  # form fields win over the URL
            return self._plain(params.get("query", "").encode(), params)
        # The SQL is the `query` URL parameter and/or the body, joined by a newline; an INSERT's
        # data follows its SQL.
        url_query = params.get("query", "")
        prefix = url_query.encode() + b"\n" if url_query else b""
        if prefix:
            statement = scan_statement(prefix)
            if statement.insert_format is not None and statement.data_start == len(prefix):
                return _Request(prefix, statement, params, pieces)  # compressed inserts: body = data
        buffered = [prefix]
        size = len(prefix)
        for piece in pieces:
            buffered.append(piece)
            size += len(piece)
            if size >= _HEAD_LIMIT:
                break
        text = b"".join(buffered)
        statement = scan_statement(text)
        if statement.insert_format is not None:
            return _Request(text, statement, params, _prepend(text[statement.data_start :], pieces))
        if not body.complete:
            text += b"".join(pieces)  # a huge statement (INSERT ... VALUES, long IN lists)
            statement = scan_statement(text)
            if statement.insert_format is not None:
                return _Request(text, statement, params, iter([text[statement.data_start :]]))
        return self._plain(text, params, statement)

    @staticmethod
    def _plain(sql: bytes, params: dict[str, str], statement: Statement | None = None) -> _Request:
        if not sql.strip():
            raise ClickHouseError.of(SYNTAX_ERROR, "Empty query")
        return _Request(sql, statement or scan_statement(sql), params, None)

    def _error(self, err: ClickHouseError, query_id: str) -> None:
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "X-ClickHouse-Exception-Code": str(err.code),
        }
        if query_id:
            headers["X-ClickHouse-Query-Id"] = query_id
        self._reply(500, (err.text + "\n").encode("utf-8", "replace"), headers)

    def _reply(self, status: int, body: memoryview | bytes, headers: Mapping[str, str]) -> None:
        self.log_request(status)
        reason = self.responses.get(status, ("",))[0]
        lines = [
            f"{self.protocol_version} {status} {reason}",
            f"Server: {self.version_string()}",
            f"Date: {self.date_time_string()}",
            *(f"{name}: {value}" for name, value in headers.items()),
            f"Content-Length: {len(body)}",
            "Connection: close" if self.close_connection else f"Keep-Alive: timeout={int(_SOCKET_TIMEOUT_S)}",
        ]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if self.command == "HEAD" or not len(body):
            self.wfile.write(head)
        elif len(body) <= _READ_SIZE:
            self.wfile.write(head + body)  # one segment for small replies
        else:
            self.wfile.write(head)
            self.wfile.write(body)


def _prepend(first: bytes, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first:
        yield first
    yield from rest


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, host: str, port: int, engine: ChdbEngine, *, verbose: bool = False) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.engine = engine
        self.verbose = verbose
        super().__init__((host, port), ClickHouseHttpHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the FQDN (a DNS round trip); nothing here needs it.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = str(self.server_address[0]), int(self.server_address[1])

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        # Without it, a response's header and body segments wait on the client's delayed ACK.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        if self.verbose:
            super().handle_error(request, client_address)


# --- process entry point -----------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="ClickHouse HTTP interface backed by chDB")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123, help="0 picks a free port")
    parser.add_argument("--data-dir", required=True, help="chDB data directory (MergeTree tables persist)")
    parser.add_argument(
        "--exit-on-stdin-eof",
        action="store_true",
        help="shut down when stdin closes (the launcher holds it open, so the server dies with it)",
    )
    parser.add_argument("--verbose", action="store_true", help="log requests and handler errors to stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    # The ready line is the only thing on stdout: chDB or anything else writing to fd 1 goes to
    # stderr, so a parent that stops reading stdout can never block us on a full pipe.
    ready = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    # Likewise stdin: the watchdog keeps the parent's pipe, the engine only ever sees /dev/null.
    control = os.dup(0)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.makedirs(args.data_dir, exist_ok=True)
    engine = ChdbEngine(args.data_dir)
    server = Server(args.host, args.port, engine, verbose=args.verbose)
    stopping = threading.Event()

    def stop() -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop())
    if args.exit_on_stdin_eof:
        threading.Thread(target=_watch_stdin, args=(control, stop), daemon=True, name="stdin-watchdog").start()
    host, port = server.server_address[:2]
    ready.write(json.dumps({"host": host, "port": port}) + "\n")
    ready.close()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        engine.close()
    sys.stderr.flush()
    # chDB's static destructors can be slow or noisy at interpreter exit; the data is on disk.
    os._exit(0)


def _watch_stdin(fd: int, stop: Callable[[], None]) -> None:
    """Stop the server once the parent's end of the pipe closes (the parent exited or died)."""
    with contextlib.suppress(OSError):
        while os.read(fd, 65536):
            pass
    stop()


if __name__ == "__main__":
    sys.exit(main())
