"""credentials.py and create_api_key.py: secrets load from the environment and never show."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys

import pytest
from credentials import (
    ENV_NAMES,
    Credentials,
    MissingCredentialError,
    clob_client,
    clob_url,
)
from py_clob_client_v2 import ApiCreds

from tests.fixtures.pack import HARDHAT_TEST_KEY, mock_env, pack_modules_dir

SECRET = "c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1zaG93"
PASSPHRASE = "passphrase-that-must-never-show-0123456789"
API_KEY = "00000000-1111-2222-3333-444455556666"
ENV = {
    "POLYMARKET_API_KEY": API_KEY,
    "POLYMARKET_API_SECRET": SECRET,
    "POLYMARKET_API_PASSPHRASE": PASSPHRASE,
}


def _assert_hidden(text: str) -> None:
    assert SECRET not in text
    assert PASSPHRASE not in text


def test_from_env_reads_the_three_variables():
    """from_env reads POLYMARKET_API_KEY/SECRET/PASSPHRASE, trimming stray whitespace."""
    creds = Credentials.from_env({**ENV, "POLYMARKET_API_SECRET": f"  {SECRET}\n"})
    assert (creds.api_key, creds.secret, creds.passphrase) == (API_KEY, SECRET, PASSPHRASE)


def test_from_env_defaults_to_the_process_environment(monkeypatch):
    """Without an explicit mapping, from_env reads os.environ."""
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    assert Credentials.from_env().secret == SECRET


def test_ws_auth_uses_the_user_channel_spelling():
    """ws_auth() is exactly {apiKey, secret, passphrase}, the /ws/user auth object (ref §4.4)."""
    auth = Credentials.from_env(ENV).ws_auth()
    assert auth == {"apiKey": API_KEY, "secret": SECRET, "passphrase": PASSPHRASE}


def test_ws_auth_validates_as_a_user_subscription():
    """A subscription built from ws_auth() is accepted by the mock's wire schema."""
    from polymarket_mock.messages import validate

    frame = {"auth": Credentials.from_env(ENV).ws_auth(), "type": "user"}
    assert validate(frame) == []


def test_api_creds_uses_the_py_clob_client_spelling():
    """api_creds() maps to ApiCreds(api_key, api_secret, api_passphrase), and back."""
    creds = Credentials.from_env(ENV)
    api = creds.api_creds()
    assert isinstance(api, ApiCreds)
    assert (api.api_key, api.api_secret, api.api_passphrase) == (API_KEY, SECRET, PASSPHRASE)
    assert Credentials.from_api_creds(api) == creds


def test_repr_str_and_format_hide_the_secret_and_passphrase():
    """repr, str, f-strings and containers never show the secret or the passphrase."""
    creds = Credentials.from_env(ENV)
    for text in (repr(creds), str(creds), f"{creds}", f"{creds!r}", str([creds]), str({1: creds})):
        _assert_hidden(text)
        assert API_KEY not in text, "only the last characters of the key are shown"
        assert "6666" in text
    assert "***" in repr(creds)


def test_logging_the_object_hides_the_secret(caplog):
    """Logging the credentials with %s or %r writes nothing secret."""
    creds = Credentials.from_env(ENV)
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("test").info("loaded %s", creds)
        logging.getLogger("test").info("loaded %r", creds)
        logging.getLogger("test").warning("failed with %s", RuntimeError(creds))
    assert len(caplog.records) == 3
    _assert_hidden(caplog.text)


def test_missing_variable_error_names_it_and_shows_no_value():
    """A missing variable raises an error naming it, without any value that is set."""
    env = {"POLYMARKET_API_KEY": API_KEY, "POLYMARKET_API_SECRET": SECRET}
    with pytest.raises(MissingCredentialError) as caught:
        Credentials.from_env(env)
    message = str(caught.value)
    assert "POLYMARKET_API_PASSPHRASE" in message
    assert "POLYMARKET_API_SECRET" not in message
    _assert_hidden(message)
    assert API_KEY not in message


def test_every_missing_variable_is_named_at_once():
    """With nothing set, the error lists all three names, so one fix round is enough."""
    with pytest.raises(MissingCredentialError) as caught:
        Credentials.from_env({})
    for name in ENV_NAMES.values():
        assert name in str(caught.value)


def test_an_empty_or_blank_variable_counts_as_missing():
    """An empty or whitespace-only value is missing, not an empty secret."""
    with pytest.raises(MissingCredentialError, match="POLYMARKET_API_SECRET"):
        Credentials.from_env({**ENV, "POLYMARKET_API_SECRET": "   "})


def test_credentials_are_immutable():
    """A loaded credential cannot be changed in place by accident."""
    creds = Credentials.from_env(ENV)
    with pytest.raises(AttributeError):
        creds.secret = "other"  # type: ignore[misc]


def test_clob_url_defaults_to_the_real_clob():
    """Without POLYMARKET_CLOB_URL the real CLOB host is used."""
    assert clob_url({}) == "https://clob.polymarket.com"
    assert clob_url({"POLYMARKET_CLOB_URL": "https://example.test/"}) == "https://example.test"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]"])
def test_clob_url_allows_plain_http_on_loopback(host):
    """Plain http is allowed for a loopback mock."""
    assert clob_url({"POLYMARKET_CLOB_URL": f"http://{host}:8765"}) == f"http://{host}:8765"


def test_clob_url_refuses_plain_http_to_a_remote_host():
    """Plain http to a remote host is refused: L2 headers carry the passphrase."""
    with pytest.raises(ValueError, match="https"):
        clob_url({"POLYMARKET_CLOB_URL": "http://clob.example.com"})
    with pytest.raises(ValueError, match="scheme"):
        clob_url({"POLYMARKET_CLOB_URL": "ftp://127.0.0.1"})


def test_clob_client_requires_the_private_key():
    """clob_client() names POLYMARKET_PRIVATE_KEY when it is missing."""
    with pytest.raises(MissingCredentialError, match="POLYMARKET_PRIVATE_KEY"):
        clob_client(Credentials.from_env(ENV), ENV)


def test_clob_client_is_l2_with_credentials_and_l1_without():
    """With credentials the client can sign L2 requests; without, only L1."""
    env = {
        **ENV,
        "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
        "POLYMARKET_CLOB_URL": "http://127.0.0.1:1",
    }
    l2 = clob_client(Credentials.from_env(env), env)
    assert l2.creds.api_secret == SECRET and l2.host == "http://127.0.0.1:1"
    l2.assert_level_2_auth()
    l1 = clob_client(None, env)
    assert l1.creds is None
    l1.assert_level_1_auth()


# --- create_api_key.py against the threaded mock ------------------------------------------


def _finished(proc) -> int:
    """Wait for a one-shot program to exit on its own; return its exit code."""
    proc.process.wait(timeout=30)
    return proc.interrupt()


def _read_env_file(path) -> dict[str, str]:
    values = {}
    for line in path.read_text("utf-8").splitlines():
        name, _, value = line.removeprefix("export ").partition("=")
        values[name] = value.strip("'")
    return values


def test_create_api_key_writes_a_private_file_and_prints_only_the_key(
    threaded_mock, run_program, tmp_path
):
    """The program prints the apiKey, writes all three values to a 0600 file and shows no
    secret; a second run refuses to overwrite without --force and derives the same key."""
    out = tmp_path / "polymarket.env"
    env = {
        "POLYMARKET_CLOB_URL": threaded_mock.http_url,
        "POLYMARKET_PRIVATE_KEY": HARDHAT_TEST_KEY,
    }
    proc = run_program("create_api_key.py", env=env, args=["--out", str(out)])
    assert _finished(proc) == 0, proc.output
    values = _read_env_file(out)
    assert set(values) == set(ENV_NAMES.values())
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    assert f"apiKey: {values['POLYMARKET_API_KEY']}" in proc.output
    assert values["POLYMARKET_API_SECRET"] not in proc.output
    assert values["POLYMARKET_API_PASSPHRASE"] not in proc.output
    assert HARDHAT_TEST_KEY not in proc.output

    # The written credentials work for L2 reads against the same server.
    creds = Credentials.from_env(values)
    client = clob_client(creds, {**env, **values})
    assert isinstance(client.get_open_orders(), list)

    first = out.read_text("utf-8")
    refused = run_program("create_api_key.py", env=env, args=["--out", str(out)])
    assert _finished(refused) == 1
    assert "--force" in refused.output
    assert out.read_text("utf-8") == first

    out.chmod(0o644)
    forced = run_program("create_api_key.py", env=env, args=["--out", str(out), "--force"])
    assert _finished(forced) == 0, forced.output
    assert out.read_text("utf-8") == first, "derive returns the same credentials"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_create_api_key_without_private_key_names_the_variable(run_program, tmp_path):
    """Without POLYMARKET_PRIVATE_KEY the program exits 1 naming the variable, writing nothing."""
    out = tmp_path / "polymarket.env"
    proc = run_program("create_api_key.py", env={}, args=["--out", str(out)])
    assert _finished(proc) == 1
    assert "POLYMARKET_PRIVATE_KEY" in proc.output
    assert not out.exists()


def test_mock_env_credentials_load(threaded_mock):
    """The harness's mock environment is something from_env accepts as is."""
    creds = Credentials.from_env(mock_env(threaded_mock))
    assert creds.ws_auth()["apiKey"] == threaded_mock.mock.credentials.api_key


# The modules a streaming client needs must import with the standard library and websockets
# alone; py-clob-client-v2 is for REST only (issue "Take it, don't retype it").
WEBSOCKETS_ONLY = ["wire", "credentials", "user_events", "order_tracker", "robust_ws"]


@pytest.mark.parametrize("module", WEBSOCKETS_ONLY)
def test_streaming_modules_import_without_py_clob_client(module):
    """With py_clob_client_v2 unimportable, the module still imports and works."""
    code = (
        "import sys; sys.modules['py_clob_client_v2'] = None\n"
        f"import {module}\n"
        "from credentials import Credentials\n"
        "c = Credentials.from_env({'POLYMARKET_API_KEY': 'k', 'POLYMARKET_API_SECRET': 's',"
        " 'POLYMARKET_API_PASSPHRASE': 'p'})\n"
        "assert c.ws_auth() == {'apiKey': 'k', 'secret': 's', 'passphrase': 'p'}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(pack_modules_dir)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
