"""A server (or a proxy) that echoes the credentials back: no piece of them leaves the process.

The mock's echo-secrets test fault (not live behaviour) sends a user connection its own
credentials back in its subscription frame, an "INVALID OPERATION: ..." text frame and a 1008
close reason; echo-secrets-rest refuses REST reads quoting them in a JSON error body or an HTML
error page. Every check looks for any 12-character piece of the secret or the passphrase (the
checker's window), and for the decoded secret too. Four angles:

* the mock echoes in every place (so the other tests provoke what they claim);
* wire.protect / wire.redact: redaction by value, whatever surrounds it, pieces included;
* every log record of the process (message, arguments, traceback, stack), uncaught exceptions,
  reprs and error texts, once a credential is protected;
* programs at DEBUG: trading_feed.py, user_stream.py (both REST readers) and a reader's program
  that logs with the standard library only, each through every echo.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import subprocess
import sys
import textwrap
import threading
import urllib.error
import urllib.request

import pytest
import wire
from clob_rest import ClobRest, ClobRestError
from credentials import Credentials
from polymarket_mock.accounts import DEFAULT_MAKER_ADDRESS
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.fixtures.mock import ThreadedMock
from tests.fixtures.pack import pack_modules_dir
from tests.secrets.test_secrets import CANARY, DECODED_SECRET, canary_env

WINDOW = 12  # what readers' checks use (scripts/client_check/leaks.py)
SECRETS = (CANARY.secret, CANARY.passphrase, DECODED_SECRET.decode())


def leaks(text: str) -> list[str]:
    """Every WINDOW-character piece of a secret that appears in `text`."""
    return [
        secret[i : i + WINDOW]
        for secret in SECRETS
        for i in range(len(secret) - WINDOW + 1)
        if secret[i : i + WINDOW] in text
    ]


def canary_credentials() -> Credentials:
    """The canary account as the pack holds it: constructing it protects its values."""
    return Credentials(CANARY.api_key, CANARY.secret, CANARY.passphrase)


# -- the mock echoes in every place -------------------------------------------------------


async def test_the_mock_echoes_the_credentials_in_every_place(mock_factory):
    """A user connection gets its own subscription back, an INVALID OPERATION text quoting the
    secret and passphrase, then a 1008 close whose reason quotes them; REST reads are refused
    with a JSON body or an HTML page that quote them. The mock's own record keeps none."""
    async with mock_factory(activity_interval=None, credentials=(CANARY,)) as mock:
        first = {"auth": CANARY.auth(), "type": "user", "markets": []}
        async with connect(f"{mock.url}/ws/user", proxy=None) as ws:
            await ws.send(json.dumps(first))
            await mock.wait_for(lambda m: m.connections and m.connections[0].authenticated)
            await mock.faults.echo_secrets()
            frames = [await ws.recv(), await ws.recv()]
            with pytest.raises(ConnectionClosed):
                await ws.recv()
        assert json.loads(frames[0]) == first
        assert frames[1].startswith("INVALID OPERATION: ")
        assert CANARY.secret in frames[1] and CANARY.passphrase in frames[1]
        assert ws.close_code == 1008 and len(ws.close_reason.encode()) <= 123
        assert len(leaks(ws.close_reason)) > 20
        await mock.wait_for(lambda m: m.connections[0].closed_at is not None)
        record = json.dumps(mock.connections[0].to_json())
        assert leaks(record) == [] and "echo-secrets test fault" in record

        rest = ClobRest(canary_credentials(), DEFAULT_MAKER_ADDRESS, url=mock.http_url)
        mock.faults.echo_secrets_rest("json", times=1)
        mock.faults.echo_secrets_rest("html", times=1)
        pages = []
        for _ in range(3):
            request = urllib.request.Request(mock.http_url + "/data/orders", method="GET")
            path = "/data/orders"
            for name, value in (await asyncio.to_thread(rest_headers, rest, path)).items():
                request.add_header(name, value)
            try:
                await asyncio.to_thread(urllib.request.urlopen, request, timeout=5)
                pages.append((200, "", ""))
            except urllib.error.HTTPError as exc:
                pages.append((exc.code, exc.headers["Content-Type"], exc.read().decode()))
        assert [(status, kind.split(";")[0]) for status, kind, _ in pages] == [
            (401, "application/json"),
            (502, "text/html"),
            (200, ""),
        ]
        assert CANARY.passphrase in json.loads(pages[0][2])["error"]
        assert CANARY.secret[:24] in pages[1][2] and CANARY.passphrase[:24] in pages[1][2]
        assert "<html>" in pages[1][2]


def rest_headers(rest: ClobRest, path: str) -> dict[str, str]:
    from clob_rest import l2_headers

    return l2_headers(rest.credentials, rest.address, rest.server_time(), "GET", path)


def test_the_control_endpoint_and_the_cli_expose_the_fault():
    """/_mock/fault?kind=echo-secrets and echo-secrets-rest, and --scenario echo-secrets."""
    from polymarket_mock.cli import build_parser
    from polymarket_mock.control import FAULT_KINDS

    assert {"echo-secrets", "echo-secrets-rest"} <= set(FAULT_KINDS)
    assert "echo-secrets" in build_parser().format_help()
    with ThreadedMock(credentials=(CANARY,)) as threaded:
        base = threaded.http_url + "/_mock/fault?kind="
        with urllib.request.urlopen(base + "echo-secrets-rest&page=html&times=1") as reply:
            assert json.loads(reply.read())["ok"]
        with urllib.request.urlopen(base + "echo-secrets&places=text") as reply:
            assert json.loads(reply.read())["ok"]
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(base + "echo-secrets&places=everywhere")
        assert refused.value.code == 400
        assert threaded.mock.faults.rest_echo() == "html"


# -- wire.protect / wire.redact -----------------------------------------------------------


def every_piece(value: str, width: int) -> list[str]:
    return [value[i : i + width] for i in range(len(value) - width + 1)]


SURROUNDINGS = [
    "invalid credentials: passphrase {}",
    "INVALID OPERATION: {}",
    '{{"error": "bad auth {}"}}',
    "<html><body><p>upstream said {}</p></body></html>",
    "{}",
    "x{}y",
    "'{}'",
]


def test_redact_removes_every_piece_of_a_protected_value_whatever_surrounds_it():
    """Every piece of at least REDACT_MIN_CHARS characters, in any text, is gone; shorter
    pieces stay (they are not evidence of anything); key patterns remain a second net."""
    secret = "Zq9-lkP_0a7Hc2Wb6nRt1yUe4oIx8sDf3gJh5vKm0Np="
    wire.protect(secret)
    for width in (wire.REDACT_MIN_CHARS, WINDOW, len(secret)):
        for piece in every_piece(secret, width):
            for shape in SURROUNDINGS:
                text = wire.redact(shape.format(piece))
                assert piece not in text and "<redacted>" in text, (shape, piece)
                assert all(p not in text for p in every_piece(secret, wire.REDACT_MIN_CHARS))
    short = secret[3 : 3 + wire.REDACT_MIN_CHARS - 1]
    assert wire.redact(f"id {short}") == f"id {short}"
    both = wire.redact(f"a {secret[:20]} b {secret[10:30]} c")
    assert both == "a <redacted> b <redacted> c"
    assert wire.redact('api_key="unregistered-value"') == 'api_key="<redacted>"'
    plain = "book 0x12 bids 0.52"
    assert wire.redact(plain) is plain  # nothing found: the same object, no copy
    assert wire.redact(b"x" + secret[:16].encode()) == "b'x<redacted>'"  # anything: its str


def test_line_writers_cut_protected_values_from_what_they_write():
    """A typed update holds server text (an order id, a status): a server that echoed a
    credential there would print it through JsonLines or any LineWriter, so the writer's
    thread cuts every protected piece before the line leaves the process."""
    import os

    from realtime import LineWriter

    secret = "Lw7-qT2_zX9cV4bN6mA1sD8fG3hJ5kL0pO=="
    wire.protect(secret)
    read_end, write_end = os.pipe()
    writer = LineWriter(write_end)
    writer.write(f'{{"type": "order", "id": "x", "status": "CANCELED_{secret[4:20]}"}}')
    writer.write("plain line")
    text = b""
    while text.count(b"\n") < 2:
        text += os.read(read_end, 4096)
    os.close(read_end)
    assert secret[4:20].encode() not in text and b"<redacted>" in text
    assert text.endswith(b"plain line\n")


def test_protect_ignores_what_is_too_short_to_be_a_secret():
    wire.protect("", "abc", None)  # type: ignore[arg-type]
    assert wire.redact("abc and more") == "abc and more"


def test_preview_redacts_by_value_before_cutting():
    secret = "Pp7-Qq8_Rr9sTt0uVv1wXx2yZz3AaBbCcDdEeFfGg="
    wire.protect(secret)
    shown = wire.preview("INVALID OPERATION: " + secret + " " * 300)
    assert leaks_of(secret, shown) == [] and "<redacted>" in shown


def leaks_of(secret: str, text: str) -> list[str]:
    return [p for p in every_piece(secret, WINDOW) if p in text]


# -- everything the process writes --------------------------------------------------------


def test_every_log_record_is_redacted_once_credentials_exist(capsys):
    """A logger of anyone's, with the secret in its arguments, in an exception's text (its
    traceback), in a stack and in a ConnectionClosed's reason: a standard handler writes none
    of it; the record keeps its level, name and a readable message."""
    canary_credentials()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    reader = logging.getLogger("a.reader.of.the.pack")
    reader.addHandler(handler)
    reader.setLevel(logging.DEBUG)
    reader.propagate = False
    try:
        reader.info("server said %r", f"invalid credentials: passphrase {CANARY.passphrase}")
        reader.debug("frame: %s", "INVALID OPERATION: " + CANARY.secret[5:25])
        reader.warning({"auth": CANARY.auth()})  # a non-string message
        reader.error("bad %d", "format args " + CANARY.passphrase)  # cannot be formatted
        try:
            raise ValueError(f"rejected {CANARY.secret}")
        except ValueError:
            reader.exception("while reading")
        reader.info("here", stack_info=True, extra={"note": "n"})
        from websockets.frames import Close

        closed = ConnectionClosed(Close(1008, "passphrase " + CANARY.passphrase[:30]), None)
        reader.warning("closed: %s", closed, exc_info=closed)
    finally:
        reader.removeHandler(handler)
    written = stream.getvalue()
    assert leaks(written) == [], written
    assert "INFO a.reader.of.the.pack: server said" in written
    assert "ValueError: rejected <redacted>" in written and "Traceback" in written
    assert "ConnectionClosed: received 1008 (policy violation) " in written
    assert "<redacted>" in written and written.count("\n") > 10
    assert leaks(capsys.readouterr().err) == []


def test_uncaught_exceptions_are_redacted_in_a_program():
    """sys.excepthook and threading.excepthook: a traceback printed by the interpreter."""
    program = textwrap.dedent(
        f"""
        import sys, threading
        sys.path.insert(0, {str(pack_modules_dir)!r})
        from credentials import Credentials
        Credentials("key-0001", {CANARY.secret!r}, {CANARY.passphrase!r})

        def work():
            raise RuntimeError("thread saw " + {CANARY.passphrase!r})

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        raise RuntimeError("server said: " + {CANARY.secret[3:40]!r})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 1
    assert "RuntimeError: server said: <redacted>" in done.stderr
    assert "RuntimeError: thread saw <redacted>" in done.stderr
    assert "Traceback" in done.stderr
    assert leaks(done.stdout + done.stderr) == [], done.stderr


async def test_rest_errors_quoting_the_credentials_hold_no_piece(mock_factory):
    """ClobRest against a JSON error body and an HTML error page that quote the passphrase and
    the secret: the ClobRestError's text and repr hold no piece, and still say what happened."""
    async with mock_factory(activity_interval=None, credentials=(CANARY,)) as mock:
        rest = ClobRest(canary_credentials(), DEFAULT_MAKER_ADDRESS, url=mock.http_url)
        errors = []
        for page in ("json", "html"):
            mock.faults.echo_secrets_rest(page, times=1)
            with pytest.raises(ClobRestError) as caught:
                await asyncio.to_thread(rest.open_orders)
            errors.append(caught.value)
    texts = [f"{e} {e!r}" for e in errors]
    assert [e.status for e in errors] == [401, 502]
    assert "HTTP 401: Unauthorized/Invalid api key: " in texts[0] and "<redacted>" in texts[0]
    assert "502 Bad Gateway" in texts[1]
    assert leaks(" ".join(texts)) == [], texts


# -- programs, through every echo ---------------------------------------------------------

READER_PROGRAM = """
import asyncio, logging, os, signal, sys

from credentials import Credentials
from robust_ws import RobustConnection
from user_subscription import UserSubscription
from wire import ws_base_url

logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")
log = logging.getLogger("reader")
seen = []


def on_message(text):
    seen.append(text)
    log.info("frame: %s", text)  # verbatim: the reader's own choice


async def main():
    credentials = Credentials.from_env()
    conn = RobustConnection(
        ws_base_url() + "/ws/user",
        UserSubscription(credentials, []).first_frame,
        on_message,
        name="user",
        data_timeout=None,
        backoff_base=0.05,
        connect_kwargs={"proxy": None},
    )
    asyncio.get_running_loop().add_signal_handler(signal.SIGINT, conn.stop)
    print("reader: started", flush=True)
    await conn.run()
    log.warning("last close reason %r, stats %r", conn.stats.last_close_reason, conn.stats)
    raise RuntimeError("the server said: " + " | ".join(seen[-3:]))


asyncio.run(main())
"""


def start_reader(env: dict[str, str], folder) -> subprocess.Popen:
    script = folder / "reader.py"
    script.write_text(READER_PROGRAM)
    from tests.fixtures.pack import _program_environment

    return subprocess.Popen(
        [sys.executable, "-u", str(script)],
        env={**_program_environment(env), "PYTHONPATH": str(pack_modules_dir)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.mark.timeout(120)
def test_programs_print_no_echoed_secret(run_program, tmp_path):
    """trading_feed.py (the front door), user_stream.py with each REST reader, and a program of
    the reader's own that logs every frame with the standard library at DEBUG: the server
    echoes the credentials in a subscription frame, a text frame and a close reason, and REST
    refuses reads quoting them (JSON, then HTML); nothing of them reaches stdout or stderr."""
    with ThreadedMock(credentials=(CANARY,)) as threaded:
        mock = threaded.mock
        env = {**canary_env(threaded), "POLYMARKET_ADDRESS": DEFAULT_MAKER_ADDRESS}
        no_address = {k: v for k, v in env.items() if k != "POLYMARKET_ADDRESS"}
        threaded.call(mock.faults.echo_secrets_rest, "json", None)
        feed = run_program("trading_feed.py", env=env)
        stream = run_program("user_stream.py", env=env)
        sdk_stream = run_program("user_stream.py", env=no_address)
        reader = start_reader(env, tmp_path)
        collected: list[str] = []
        pump = threading.Thread(target=lambda: collected.extend(reader.stdout), daemon=True)
        pump.start()
        try:

            def authenticated() -> int:
                return sum(r.authenticated for r in mock.connections if r.closed_at is None)

            wait(lambda: authenticated() == 4, "four authenticated user connections", collected)
            for run in (feed, stream, sdk_stream):
                run.wait_for(r"account sync failed|Unauthorized", timeout=20)
            threaded.run(mock.faults.echo_secrets)
            wait(lambda: authenticated() == 4, "four user connections back", collected)
            threaded.call(mock.faults.clear)
            threaded.call(mock.faults.echo_secrets_rest, "html", None)  # the retries meet it
            for run in (feed, stream):
                run.wait_for(r"HTTP 502", timeout=20)
        finally:
            codes = [feed.interrupt(), stream.interrupt(), sdk_stream.interrupt()]
            reader.send_signal(2)
            reader_code = reader.wait(10)
            pump.join(5)
    reader_output = "".join(collected)
    assert codes == [0, 0, 0]
    assert reader_code == 1 and "RuntimeError: the server said:" in reader_output
    assert "INVALID OPERATION: secret <redacted> passphrase <redacted>" in reader_output
    for title, output in (
        ("trading_feed.py", feed.output),
        ("user_stream.py", stream.output),
        ("user_stream.py (py-clob-client-v2)", sdk_stream.output),
        ("reader.py", reader_output),
    ):
        assert leaks(output) == [], f"{title} printed a piece of a secret:\n{output}"
        assert "1008" in output, f"{title}: the echo close was not seen:\n{output}"


def wait(predicate, what: str, output: list[str], timeout: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; reader.py said:\n{''.join(output)}")
        time.sleep(0.05)
