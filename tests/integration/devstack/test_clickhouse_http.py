"""chDB behind the ClickHouse HTTP interface, driven by unmodified clickhouse-connect."""

from __future__ import annotations

import gzip
import http.client
import os
import re
import select
import selectors
import socket
import subprocess
import sys
import threading
import urllib.request
import zlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote

import clickhouse_connect
import lz4.frame
import pytest
from backports import zstd
from clickhouse_connect.driver.exceptions import DatabaseError
from clickhouse_connect.driver.summary import QuerySummary

from omegacopy.devstack.clickhouse import ClickHouseServer, ClickHouseServerError, start_clickhouse
from omegacopy.devstack.clickhouse_http import (
    CANNOT_DECOMPRESS,
    ClickHouseError,
    Server,
    StreamDecoder,
    parse_multipart,
    scan_statement,
)

from .conftest import Db

ROWS = 250_000  # clickhouse-connect sends this as several Native blocks, one lz4 frame each
BASE = datetime(2026, 1, 1, tzinfo=UTC)

WIDE_TABLE = """
CREATE TABLE {name} (
    id UInt32, wallet String, market LowCardinality(String), size Decimal(18, 6), price Float64,
    side UInt8, seq Int64, ts DateTime64(3, 'UTC'), note Nullable(String), tags Array(String)
) ENGINE = MergeTree ORDER BY id
"""
WIDE_COLUMNS = ["id", "wallet", "market", "size", "price", "side", "seq", "ts", "note", "tags"]


def wide_row(i: int) -> list[Any]:
    return [
        i,
        f"0x{i % 9973:040x}",
        f"market-{i % 37}",
        Decimal(i % 100_000) / Decimal(64),  # exact at scale 6
        i * 0.25,
        i % 2,
        -(i * 1_000_003),
        BASE + timedelta(milliseconds=i * 7),
        None if i % 3 else f"note {i} 'q' \\ ü",
        [f"t{j}" for j in range(i % 4)],
    ]


def children_of(pid: int) -> set[int]:
    """Live direct children of ``pid`` (Linux /proc)."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.add(int(entry))
    return found


def post(server: ClickHouseServer, path: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


# --- connecting --------------------------------------------------------------------------------


def test_client_connects_and_ping_answers(server: ClickHouseServer) -> None:
    client = server.client()

    assert client.ping()
    assert client.command("SELECT 1") == 1
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", client.server_version)
    assert client.server_tz == UTC
    with urllib.request.urlopen(f"http://{server.host}:{server.port}/ping", timeout=10) as response:
        assert response.read() == b"Ok.\n"


def test_dsn_with_database_in_path_targets_that_database(db: Db) -> None:
    # The production wiring connects with get_client(dsn=...).
    client = clickhouse_connect.get_client(dsn=f"http://default:@{db.server.host}:{db.server.port}/{db.name}")
    try:
        assert client.command("SELECT currentDatabase()") == db.name
    finally:
        client.close()


# --- inserts -----------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", ["lz4", "zstd", "gzip", False])
def test_insert_of_many_rows_is_exact_for_every_type(db: Db, compress: str | bool) -> None:
    client = db.new_client(compress=compress)
    client.command(WIDE_TABLE.format(name="wide"))
    rows = [wide_row(i) for i in range(ROWS)]

    summary = client.insert("wide", rows, column_names=WIDE_COLUMNS)

    assert summary.written_rows == ROWS
    got = client.query(
        "SELECT count(), sum(id), sum(size), sum(price), sum(side), sum(seq), countIf(note IS NULL),"
        " sum(length(tags)), uniqExact(market), uniqExact(wallet), min(ts), max(ts) FROM wide"
    ).result_rows[0]
    assert got == (
        ROWS,
        sum(r[0] for r in rows),
        sum(r[3] for r in rows),
        sum(r[4] for r in rows),
        sum(r[5] for r in rows),
        sum(r[6] for r in rows),
        sum(1 for r in rows if r[8] is None),
        sum(len(r[9]) for r in rows),
        37,
        9973,
        rows[0][7].replace(tzinfo=None),
        rows[-1][7].replace(tzinfo=None),
    )
    picked = [0, 1, 2, 3, 12_345, ROWS - 1]
    back = client.query("SELECT * FROM wide WHERE id IN {ids:Array(UInt32)} ORDER BY id", parameters={"ids": picked})
    assert [list(r) for r in back.result_rows] == [
        [*rows[i][:7], rows[i][7].replace(tzinfo=None), *rows[i][8:]] for i in picked
    ]


def _frames(encoding: str, blocks: list[bytes]) -> bytes:
    """Each block compressed on its own and concatenated, as clickhouse-connect streams them."""
    one: dict[str, Any] = {
        "lz4": lz4.frame.compress,
        "zstd": zstd.compress,
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "identity": bytes,
    }
    return b"".join(one[encoding](block) for block in blocks)


@pytest.mark.parametrize("encoding", ["lz4", "zstd", "gzip", "deflate", "identity"])
def test_every_concatenated_frame_of_a_compressed_insert_is_decoded(db: Db, encoding: str) -> None:
    client = db.client
    client.command("CREATE TABLE t (id UInt64, s String) ENGINE = MergeTree ORDER BY id")
    ranges = [(0, 50_000), (50_000, 1), (50_001, 70_000)]
    blocks = [
        client.raw_query(f"SELECT number AS id, toString(number) AS s FROM numbers({start}, {n})", fmt="Native")
        for start, n in ranges
    ]

    client.raw_insert("t", ["id", "s"], insert_block=_frames(encoding, blocks), fmt="Native", compression=encoding)

    total = sum(n for _, n in ranges)
    assert client.query("SELECT count(), sum(id), uniqExact(s) FROM t").result_rows == [
        (total, total * (total - 1) // 2, total)
    ]


def test_insert_with_sql_and_data_in_one_body(db: Db) -> None:
    client = db.new_client(compress=False)
    client.command("CREATE TABLE t (id UInt64, s String) ENGINE = MergeTree ORDER BY id")
    block = client.raw_query("SELECT number AS id, 'x' AS s FROM numbers(1000)", fmt="Native")

    # uncompressed: the body is "INSERT ... FORMAT Native\n" followed by the data
    client.raw_insert("t", ["id", "s"], insert_block=block, fmt="Native")
    client.raw_insert("t", ["id", "s"], insert_block="5000\ty\n5001\tz\n", fmt="TabSeparated")

    assert client.query("SELECT count(), max(id) FROM t").result_rows == [(1002, 5001)]


def test_failed_insert_reports_the_error_and_writes_nothing(db: Db) -> None:
    client = db.client
    client.command("CREATE TABLE t (id UInt32) ENGINE = MergeTree ORDER BY id")
    good = client.raw_query("SELECT number::UInt32 AS id FROM numbers(100)", fmt="Native")
    wrong_type = client.raw_query("SELECT 'x' AS id", fmt="Native")

    with pytest.raises(DatabaseError, match="Cannot parse"):
        client.raw_insert("t", ["id"], insert_block=_frames("lz4", [good, wrong_type]), fmt="Native", compression="lz4")
    with pytest.raises(DatabaseError, match="CANNOT_DECOMPRESS") as broken:
        client.raw_insert(
            "t", ["id"], insert_block=_frames("lz4", [good]) + b"garbage", fmt="Native", compression="lz4"
        )

    assert broken.value.code == CANNOT_DECOMPRESS
    assert client.command("SELECT count() FROM t") == 0  # and the same keep-alive connection still works


# --- queries -----------------------------------------------------------------------------------


def test_server_side_parameters_select_the_right_rows(db: Db) -> None:
    client = db.client
    client.command(
        "CREATE TABLE trades (wallet String, ts DateTime64(3, 'UTC')) ENGINE = MergeTree ORDER BY (wallet, ts)"
    )
    since = BASE + timedelta(hours=1, milliseconds=500)
    rows = []
    for i in range(10_000):
        wallet = f"0x{i:040x}"
        # one trade at `since` exactly (excluded by >), one a millisecond later, one before
        rows += [[wallet, since], [wallet, since + timedelta(milliseconds=1 + i)], [wallet, BASE]]
    client.insert("trades", rows, column_names=["wallet", "ts"])
    # 5,000 wallets: every other one exists; far too many for the URL, so this goes multipart
    wanted = [f"0x{i:040x}" for i in range(0, 10_000, 4)] + [f"0x{i:040x}" for i in range(20_000, 22_500)]

    got = client.query(
        "SELECT wallet, ts FROM trades WHERE wallet IN {ws:Array(String)} AND ts > {since:DateTime64(3)}"
        " ORDER BY wallet, ts",
        parameters={"ws": wanted, "since": since},
    ).result_rows

    assert len(wanted) == 5_000
    assert got == [
        (f"0x{i:040x}", (since + timedelta(milliseconds=1 + i)).replace(tzinfo=None)) for i in range(0, 10_000, 4)
    ]


@pytest.mark.parametrize("form_encode", [False, True])
def test_string_parameter_round_trips_exactly(server: ClickHouseServer, form_encode: bool) -> None:
    client = server.client(form_encode_query_params=form_encode)
    tricky = "it's a \\ back\tslash\nnewline 'quoted' \"dq\" {x:String} ünïcødé ✓"

    assert client.query("SELECT {x:String}", parameters={"x": tricky}).result_rows == [(tricky,)]


def test_decimal_and_datetime64_parameters(server: ClickHouseServer) -> None:
    client = server.client()
    at = datetime(2026, 3, 4, 5, 6, 7, 891_234, tzinfo=UTC)

    row = client.query(
        "SELECT {d:Decimal(18, 6)}, {big:Decimal(18, 6)}, {extra:Decimal(18, 6)}, {t:DateTime64(3)}",
        parameters={
            "d": Decimal("12345.678901"),
            "big": Decimal("1.5E+3"),
            "extra": Decimal("1.0000009"),
            "t": at,
        },
    ).result_rows[0]

    assert row == (
        Decimal("12345.678901"),
        Decimal("1500"),
        Decimal("1.000000"),  # digits beyond the scale are truncated, not rounded
        datetime(2026, 3, 4, 5, 6, 7, 891_000),
    )


def test_sql_error_raises_database_error_with_clickhouse_message(db: Db) -> None:
    client = db.client

    with pytest.raises(DatabaseError, match=r"Code: 60\. DB::Exception: .*no_such_table") as missing:
        client.query("SELECT * FROM no_such_table")
    with pytest.raises(DatabaseError, match="SYNTAX_ERROR"):
        client.command("SELEC 1")

    assert missing.value.code == 60
    assert client.command("SELECT 1") == 1


def test_command_tells_empty_results_from_statements_without_result(db: Db) -> None:
    client = db.client

    assert isinstance(client.command("CREATE TABLE t (format String) ENGINE = MergeTree ORDER BY format"), QuerySummary)
    assert client.command("SELECT 1 WHERE 0") == ""
    assert client.command("SELECT 'FORMAT Native' AS format") == "FORMAT Native"
    assert client.command("SELECT format FROM t") == ""
    assert client.command("SELECT 7 AS n FORMAT JSONEachRow") == '{"n":7}'


def test_plain_http_requests_work_as_with_clickhouse(db: Db) -> None:
    server, base = db.server, f"/?database={db.name}"
    db.client.command("CREATE TABLE t (a UInt8, b String) ENGINE = MergeTree ORDER BY a")
    form = {"Content-Type": "application/x-www-form-urlencoded"}  # what curl --data-binary sends

    assert post(server, base, b"SELECT 1 AS x, 'a' AS y", form)[2] == b"1\ta\n"
    assert post(server, base + "&query=" + quote("INSERT INTO t FORMAT CSV"), b"1,x\n2,y\n")[0] == 200
    assert post(server, base, b"INSERT INTO t FORMAT TSV\n3\tz\n")[0] == 200
    with urllib.request.urlopen(
        f"http://{server.host}:{server.port}{base}&query=" + quote("SELECT * FROM t ORDER BY a")
    ) as r:
        assert r.read() == b"1\tx\n2\ty\n3\tz\n"
    _, headers, json_body = post(server, base, b"SELECT count() AS n FROM t FORMAT JSONEachRow")
    assert (headers["X-ClickHouse-Format"], json_body) == ("JSONEachRow", b'{"n":3}\n')


def test_settings_apply_to_their_request_only(db: Db) -> None:
    client = db.client
    setting = "SELECT getSetting('max_block_size')"
    default = client.command(setting)

    assert client.command(setting, settings={"max_block_size": 1234}) == 1234
    assert client.command(setting) == default != 1234
    status, _, body = post(db.server, "/?no_such_setting_anywhere=1&max_block_size=77", setting.encode())
    assert (status, body) == (200, b"77\n")  # unknown settings are ignored, known ones applied


def test_database_parameter_selects_the_database(server: ClickHouseServer) -> None:
    admin = server.client()
    for name in ("db_a", "db_b"):
        admin.command(f"CREATE DATABASE IF NOT EXISTS {name}")
        admin.command(f"CREATE OR REPLACE TABLE {name}.t (v String) ENGINE = MergeTree ORDER BY v")
        admin.insert(f"{name}.t", [[name]], column_names=["v"])
    try:
        a, b = server.client(database="db_a"), server.client(database="db_b")
        for _ in range(2):  # interleaved: every request switches the shared session
            assert a.command("SELECT v FROM t") == "db_a"
            assert b.command("SELECT v FROM t") == "db_b"
    finally:
        admin.command("DROP DATABASE db_a")
        admin.command("DROP DATABASE db_b")


def test_concurrent_clients_are_served_correctly(db: Db) -> None:
    db.client.command("CREATE TABLE t (worker UInt8, n UInt32) ENGINE = MergeTree ORDER BY (worker, n)")
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            client = db.new_client()
            for batch in range(5):
                client.insert("t", [[worker, batch * 4000 + n] for n in range(4000)], column_names=["worker", "n"])
                assert client.command(f"SELECT count() FROM t WHERE worker = {worker}") == (batch + 1) * 4000
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert db.client.command("SELECT count() FROM t") == 4 * 5 * 4000


def test_an_insert_still_being_sent_does_not_block_other_queries(db: Db) -> None:
    db.client.command("CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id")
    block = db.client.raw_query("SELECT number AS id FROM numbers(10)", fmt="Native")
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    upload = http.client.HTTPConnection(db.server.host, db.server.port, timeout=30)
    upload.putrequest("POST", f"/?database={db.name}&query=" + quote("INSERT INTO t FORMAT Native"))
    upload.putheader("Transfer-Encoding", "chunked")
    upload.endheaders()
    upload.send(chunk)  # the insert has begun and its client is slow to send the rest
    try:
        other = db.new_client(send_receive_timeout=10)
        assert other.command("SELECT count() FROM t") == 0

        upload.send(chunk + b"0\r\n\r\n")
        assert upload.getresponse().status == 200
    finally:
        upload.close()
    assert other.command("SELECT count() FROM t") == 20


def test_replies_are_not_held_back_by_nagle() -> None:
    """Every accepted connection has TCP_NODELAY: a reply's header and body segments must not wait on
    the client's delayed ACK (~40 ms a round trip). The round-trip time itself is a benchmark
    (`make bench`: clickhouse_http_round_trip_ms), not a test."""
    server = Server("127.0.0.1", 0, engine=None)  # type: ignore[arg-type]  # accepting needs no engine
    try:
        with socket.create_connection(("127.0.0.1", server.server_port), timeout=10):
            accepted, _ = server.get_request()
            try:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
            finally:
                accepted.close()
    finally:
        server.server_close()


# --- robustness --------------------------------------------------------------------------------


def test_bad_requests_get_errors_and_the_server_keeps_serving(server: ClickHouseServer) -> None:
    cases = [
        ("/", b"", {}, 62),
        ("/", b"SELECT 1", {"Content-Encoding": "snappy-ish"}, 89),
        (
            "/?query=INSERT%20INTO%20FUNCTION%20null('a%20UInt8')%20FORMAT%20Native",
            b"not lz4",
            {"Content-Encoding": "lz4"},
            271,
        ),
        (
            "/",
            b'--b\r\nContent-Disposition: form-data; name="query"; filename="f"\r\n\r\nx\r\n--b--',
            {"Content-Type": "multipart/form-data; boundary=b"},
            48,
        ),
    ]
    for path, body, headers, code in cases:
        status, reply_headers, reply = post(server, path, body, headers)
        assert (status, reply_headers["X-ClickHouse-Exception-Code"]) == (500, str(code))
        assert reply.startswith(f"Code: {code}. DB::Exception: ".encode())

    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        raw.sendall(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
        assert b" 500 " in raw.recv(65536).split(b"\r\n", 1)[0]
    with socket.create_connection((server.host, server.port), timeout=10) as raw:
        raw.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")
        raw.recv(65536)  # an error or a closed connection, but an answer
    assert post(server, "/nowhere", b"")[0] == 404
    assert server.client().command("SELECT 1") == 1


# --- lifecycle ---------------------------------------------------------------------------------


def test_tables_persist_across_a_restart_with_the_same_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "ch"
    with start_clickhouse(data) as first:
        client = first.client()
        client.command("CREATE TABLE plain (k UInt32, v String) ENGINE = MergeTree ORDER BY k")
        client.command(
            "CREATE TABLE latest (k UInt32, v String, ver UInt32) ENGINE = ReplacingMergeTree(ver) ORDER BY k"
        )
        client.insert("plain", [[k, f"v{k}"] for k in range(1000)], column_names=["k", "v"])
        client.insert("latest", [[k, "old", 1] for k in range(100)], column_names=["k", "v", "ver"])
        client.insert("latest", [[k, "new", 2] for k in range(50)], column_names=["k", "v", "ver"])
    assert not first.running

    with start_clickhouse(data) as second:
        client = second.client()
        assert client.query("SELECT count(), sum(k) FROM plain").result_rows == [(1000, 499_500)]
        assert client.query("SELECT v, count() FROM latest FINAL GROUP BY v ORDER BY v").result_rows == [
            ("new", 50),
            ("old", 50),
        ]
    assert data.is_dir()  # a given data dir is the caller's, kept


def test_stop_reaps_the_server_and_removes_its_temporary_dir() -> None:
    server = start_clickhouse()
    pid, data = server.pid, server.data_dir
    assert pid in children_of(os.getpid())
    assert data.is_dir()

    server.stop()
    server.stop()  # idempotent

    assert pid not in children_of(os.getpid())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not a zombie
    assert not data.exists()


def test_a_second_server_on_the_same_dir_fails_fast_and_leaves_nothing(tmp_path: Path) -> None:
    with start_clickhouse(tmp_path / "ch") as first:
        before = children_of(os.getpid())

        with pytest.raises(ClickHouseServerError, match="Cannot lock file"):
            start_clickhouse(tmp_path / "ch", startup_timeout=60)

        assert first.pid in before
        assert children_of(os.getpid()) == before


_ORPHANING_PARENT = """
import sys
from pathlib import Path
from omegacopy.devstack.clickhouse import start_clickhouse
server = start_clickhouse(Path(sys.argv[1]))
print(server.pid, flush=True)
sys.stdin.read()
"""


def test_server_exits_when_its_parent_dies_without_stopping_it(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHANING_PARENT, str(tmp_path / "ch")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        assert parent.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(parent.stdout, selectors.EVENT_READ)
            assert sel.select(timeout=60), "the parent never reported its server"
        server_pid = int(parent.stdout.readline())
        pidfd = os.pidfd_open(server_pid)
    finally:
        parent.kill()
        parent.wait()
    try:
        readable, _, _ = select.select([pidfd], [], [], 30)  # a pidfd turns readable when the process exits
    finally:
        os.close(pidfd)

    assert readable, "the orphaned server is still running"
    with start_clickhouse(tmp_path / "ch") as again:  # and it released the data dir
        assert again.client().command("SELECT 1") == 1


_FORGETFUL_PARENT = """
from omegacopy.devstack.clickhouse import start_clickhouse
server = start_clickhouse()
print(server.pid, server.data_dir, flush=True)
"""


def test_a_server_never_stopped_is_reaped_with_its_temp_dir_at_exit() -> None:
    done = subprocess.run([sys.executable, "-c", _FORGETFUL_PARENT], capture_output=True, timeout=120, check=True)

    pid, data = done.stdout.split()
    assert not Path(data.decode()).exists()
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid), 0)


# --- protocol pieces (no server) -----------------------------------------------------------------


def test_scan_statement_splits_insert_head_from_binary_data() -> None:
    text = b'INSERT INTO t (`format`, "values") SETTINGS async_insert=0 FORMAT Native\n\x02\nFORMAT\xff'

    statement = scan_statement(text)

    assert (statement.kind, statement.insert_format) == ("INSERT", "Native")
    assert statement.head == b'INSERT INTO t (`format`, "values") SETTINGS async_insert=0 '
    assert text[statement.data_start :] == b"\x02\nFORMAT\xff"


@pytest.mark.parametrize(
    ("sql", "kind", "output_format"),
    [
        (b"SELECT 1\n FORMAT Native", "SELECT", "Native"),
        (b"select 'FORMAT CSV' format JSON settings max_threads = 1", "SELECT", "JSON"),
        (b"SELECT format FROM t", "SELECT", None),
        (b"/* FORMAT CSV */ WITH 1 AS x SELECT x -- FORMAT CSV", "WITH", None),
        (b"(SELECT 1) FORMAT TSV;", "(", "TSV"),
        (b"SELECT format('{}', 'a') FORMAT RowBinary", "SELECT", "RowBinary"),
        (b"CREATE TABLE t (a UInt8) ENGINE = Memory", "CREATE", None),
        (b"INSERT INTO t VALUES (1, 'FORMAT Native')", "INSERT", None),
    ],
)
def test_scan_statement_finds_only_the_real_format_clause(sql: bytes, kind: str, output_format: str | None) -> None:
    statement = scan_statement(sql)

    assert (statement.kind, statement.output_format, statement.insert_format) == (kind, output_format, None)


def test_stream_decoder_reads_every_frame_in_any_split() -> None:
    blocks = [os.urandom(1000) + b"a" * 50_000, b"", b"tail" * 999]
    stream = b"".join(lz4.frame.compress(b) for b in blocks)
    decoder = StreamDecoder("lz4")

    out = b"".join(decoder.feed(stream[i : i + 7]) for i in range(0, len(stream), 7))
    decoder.finish()

    assert out == b"".join(blocks)
    truncated = StreamDecoder("lz4")
    truncated.feed(stream[:-3])
    with pytest.raises(ClickHouseError, match="Truncated lz4"):
        truncated.finish()


def test_parse_multipart_reads_fields_and_refuses_files() -> None:
    body = (
        b'--XyZ\r\nContent-Disposition: form-data; name="query"\r\n\r\nSELECT {a:String}\r\n'
        b'--XyZ\r\nContent-Disposition: form-data; name="param_a"\r\nContent-Type: text/plain\r\n'
        b"\r\nl1\r\nl2\r\n"
        b"--XyZ--\r\n"
    )

    assert parse_multipart(body, "multipart/form-data; boundary=XyZ") == {
        "query": "SELECT {a:String}",
        "param_a": "l1\r\nl2",
    }
    with pytest.raises(ClickHouseError, match="External data"):
        parse_multipart(
            body.replace(b'name="param_a"', b'name="f"; filename="f.tsv"'),
            "multipart/form-data; boundary=XyZ",
        )
