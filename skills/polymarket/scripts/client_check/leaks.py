"""The secret scan: any 12-character piece of the API secret or passphrase in the client's output.

The checker never prints what it found, only where (stream and line number).
"""

from __future__ import annotations

__all__ = ["PIECE", "find_leaks"]

PIECE = 12


def _pieces(secret: str) -> set[str]:
    if len(secret) <= PIECE:
        return {secret} if secret else set()
    return {secret[i : i + PIECE] for i in range(len(secret) - PIECE + 1)}


def find_leaks(secrets: dict[str, str], streams: dict[str, str]) -> list[str]:
    """'API secret in stderr line 12' for each (secret, stream, line) with a piece of a secret."""
    found = []
    for label, secret in secrets.items():
        pieces = _pieces(secret)
        for stream, text in streams.items():
            for number, line in enumerate(text.splitlines(), 1):
                if any(piece in line for piece in pieces):
                    found.append(f"{label} in {stream} line {number}")
                    break
    return found
