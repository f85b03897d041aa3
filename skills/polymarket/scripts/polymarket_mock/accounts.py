"""API credentials the mock accepts: the demo account and an account from the environment.

The first accepted account is the one the mock trades for (driver, scenarios, ``/_mock/``), and
REST create/derive (``/auth/api-key``) hands out that account's credentials to any signer.

Secrets never appear in a repr, a log line or the control endpoint's state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Credentials",
    "DEMO_CREDENTIALS",
    "DEFAULT_MAKER_ADDRESS",
    "Accounts",
    "credentials_from_env",
    "l2_signature",
]

# Address of the well-known public Hardhat test key #0 (never holds real funds).
DEFAULT_MAKER_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


@dataclass(frozen=True)
class Credentials:
    """One CLOB L2 account: key, secret and passphrase (repr shows the key only)."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    address: str = DEFAULT_MAKER_ADDRESS

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r}, secret='***', passphrase='***')"

    def auth(self) -> dict[str, str]:
        """The `auth` object of a user-channel subscription (apiKey, secret, passphrase)."""
        return {"apiKey": self.api_key, "secret": self.secret, "passphrase": self.passphrase}

    def env(self) -> dict[str, str]:
        """The POLYMARKET_API_* environment variables that carry this account."""
        return {
            "POLYMARKET_API_KEY": self.api_key,
            "POLYMARKET_API_SECRET": self.secret,
            "POLYMARKET_API_PASSPHRASE": self.passphrase,
        }


# Clearly fake, fixed demo account; it works only against this mock.
DEMO_CREDENTIALS = Credentials(
    api_key="deadbeef-0000-4000-8000-000000000001",
    secret="cG9seW1hcmtldC1tb2NrLURFTU8tc2VjcmV0LTAwMDE=",
    passphrase="mock-demo-passphrase-not-a-secret",
)


def credentials_from_env(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """The account in POLYMARKET_API_KEY/_SECRET/_PASSPHRASE, or None unless all three are set."""
    env = os.environ if environ is None else environ
    values = [env.get(f"POLYMARKET_API_{name}", "") for name in ("KEY", "SECRET", "PASSPHRASE")]
    return Credentials(*values) if all(values) else None


def l2_signature(secret: str, timestamp: str, method: str, path: str, body: str = "") -> str:
    """POLY_SIGNATURE: base64url(HMAC-SHA256(base64url_decode(secret), ts+METHOD+path+body))."""
    key = base64.urlsafe_b64decode(secret)
    message = f"{timestamp}{method}{path}{body}"
    digest = hmac.new(key, message.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()


class Accounts:
    """Accepted accounts by API key; the first one is the default driver account."""

    def __init__(self, credentials: tuple[Credentials, ...]) -> None:
        if not credentials:
            raise ValueError("the mock needs at least one accepted account")
        self._by_key: dict[str, Credentials] = {}
        for creds in credentials:
            self.add(creds)
        self.default = credentials[0]

    def add(self, creds: Credentials) -> None:
        """Accept this account from now on."""
        self._by_key[creds.api_key] = creds

    def get(self, api_key: str) -> Credentials | None:
        """The account with this key, or None."""
        return self._by_key.get(api_key)

    def keys(self) -> list[str]:
        """Every accepted API key."""
        return list(self._by_key)

    def check_ws_auth(self, auth: Any) -> Credentials | None:
        """The account named by a user-channel `auth` object, if all three values match."""
        if not isinstance(auth, dict):
            return None
        creds = self._by_key.get(str(auth.get("apiKey")))
        if creds is None:
            return None
        same_secret = hmac.compare_digest(str(auth.get("secret")), creds.secret)
        same_pass = hmac.compare_digest(str(auth.get("passphrase")), creds.passphrase)
        return creds if same_secret and same_pass else None
