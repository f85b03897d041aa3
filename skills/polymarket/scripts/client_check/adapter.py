"""Output adapters: a client's own stdout lines mapped to the facts the checker compares.

An adapter is a Python file defining ``parse_line(line: str)``, called for stdout lines
(without their newline), the same line possibly many times and in no set order: keep it
stateless (a fact is what one line says: print a matched total, not only a delta). It
returns None (not a fact: logs, anything else), one fact (a dict) or a list of facts:

    {"kind": "book", "asset_id": "...", "bids": [[price, size], ...], "asks": [...]}
    {"kind": "book", "asset_id": "...", "best_bid": price | None, "best_ask": price | None}
    {"kind": "order", "id": "...", "status": "LIVE", "size_matched": "4"}
    {"kind": "trade", "id": "...", "status": "MATCHED"}

Prices and sizes are numbers or decimal strings; levels in any order; a book may carry levels,
best prices or both (what it carries is compared), and ``"live": False`` when the client says
that book is not current (then it needs no prices, and must not be its last word). An order
needs ``status`` or ``size_matched`` (or both); statuses compare without case. The built-in
``pack-jsonl`` reader is one such adapter (`pack_jsonl`).
"""

from __future__ import annotations

import importlib.util
import json
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = ["PACK_JSONL", "Adapter", "AdapterError", "load_adapter", "pack_jsonl"]

FUNCTION = "parse_line"
KINDS = ("book", "order", "trade")
CONTRACT = (
    f"{FUNCTION}(line) must return None, a fact dict or a list of them "
    "(check_client.py --help, 'output checks')"
)


class AdapterError(Exception):
    """An adapter that cannot be loaded, raised, or returned something that is not a fact."""


@dataclass(frozen=True)
class Adapter:
    """`parse` maps one stdout line to facts; `name` says whose (in every message)."""

    name: str
    parse: Callable[[str], Any]

    def facts(self, line: str, number: int) -> list[dict[str, Any]]:
        """The checked, normalised facts of stdout line `number` (AdapterError if wrong)."""
        try:
            value = self.parse(line)
        except Exception as exc:  # the adapter's own bug: say where, not what the line held
            raise AdapterError(
                f"{self.name}: {FUNCTION} raised {_described(exc)} on stdout line {number}; "
                "return None for lines that are not facts"
            ) from None
        if value is None:
            return []
        values = value if isinstance(value, list) else [value]
        facts = []
        for item in values:
            problem = _problem(item)
            if problem:
                raise AdapterError(
                    f"{self.name}: {FUNCTION} returned {_shape(item)} for stdout line {number}: "
                    f"{problem}"
                )
            facts.append(_normalised(item))
        return facts


def load_adapter(path: str | Path) -> Adapter:
    """Import the adapter file; AdapterError naming the file and the fix if it cannot be used."""
    file = Path(path)
    name = file.name
    if not file.is_file():
        raise AdapterError(
            f"--output-adapter {path}: no such file (give a Python file defining {FUNCTION})"
        )
    spec = importlib.util.spec_from_file_location(f"check_client_adapter_{file.stem}", file)
    if spec is None or spec.loader is None:
        raise AdapterError(f"--output-adapter {path}: not a Python file (name it *.py)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        where = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == str(file)]
        at = f" at line {where[-1].lineno}" if where else ""
        if isinstance(exc, SyntaxError) and exc.lineno:
            at = f" at line {exc.lineno}"
        raise AdapterError(
            f"--output-adapter {path}: importing it raised {_described(exc)}{at}; "
            f"fix it so that `python {name}` runs"
        ) from None
    parse = getattr(module, FUNCTION, None)
    if not callable(parse):
        raise AdapterError(
            f"--output-adapter {path}: defines no function {FUNCTION}(line); add one: " + CONTRACT
        )
    return Adapter(name, parse)


# ---------------------------------------------------------------- facts
def _described(exc: BaseException) -> str:
    text = str(exc).splitlines()[0][:120] if str(exc) else ""
    return f"{type(exc).__name__}({text!r})" if text else type(exc).__name__


def _shape(item: Any) -> str:
    """What was returned, by type and keys only (a value may hold anything the client wrote)."""
    if isinstance(item, dict):
        return "a dict with keys " + ", ".join(sorted(map(str, item))) if item else "{}"
    return f"a value of type {type(item).__name__}"


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _levels_problem(levels: Any) -> bool:
    return not isinstance(levels, list | tuple) or any(
        not isinstance(level, list | tuple)
        or len(level) != 2
        or _number(level[0]) is None
        or _number(level[1]) is None
        for level in levels
    )


def _problem(item: Any) -> str | None:
    """Why `item` is not a fact, or None."""
    if not isinstance(item, dict):
        return CONTRACT
    kind = item.get("kind")
    if kind not in KINDS:
        return "a fact needs 'kind': 'book', 'order' or 'trade'"
    key = "asset_id" if kind == "book" else "id"
    if not isinstance(item.get(key), str | int) or item.get(key) == "":
        return f"a {kind} fact needs '{key}' (a string)"
    if "live" in item and not isinstance(item["live"], bool):
        return "'live' must be True or False"
    if kind == "book":
        levels = [side for side in ("bids", "asks") if side in item]
        best = [side for side in ("best_bid", "best_ask") if side in item]
        if not levels and not best and item.get("live", True):  # stale: no prices to compare
            return "a book fact needs 'bids' and 'asks', or 'best_bid' and 'best_ask'"
        if len(levels) == 1 or len(best) == 1:
            return "give both sides: 'bids' with 'asks', 'best_bid' with 'best_ask'"
        for side in levels:
            if _levels_problem(item[side]):
                return f"'{side}' must be a list of [price, size] (numbers or decimal strings)"
        for side in best:
            if item[side] not in (None, "") and _number(item[side]) is None:
                return f"'{side}' must be a price (number or decimal string), or None if empty"
        return None
    if kind == "order" and "status" not in item and "size_matched" not in item:
        return "an order fact needs 'status' or 'size_matched'"
    if kind == "trade" and "status" not in item:
        return "a trade fact needs 'status'"
    if "status" in item and not isinstance(item["status"], str):
        return "'status' must be a string"
    if "size_matched" in item and _number(item["size_matched"]) is None:
        return "'size_matched' must be a number or a decimal string"
    return None


def _normalised(item: dict[str, Any]) -> dict[str, Any]:
    """Keys kept only where given; Decimals; statuses upper case; levels best first."""
    kind = item["kind"]
    fact: dict[str, Any] = {"kind": kind}
    if kind == "book":
        fact["asset_id"] = str(item["asset_id"])
        fact["live"] = item.get("live", True)
        for side in ("bids", "asks"):
            if side in item:
                levels = [(_number(p), _number(s)) for p, s in item[side]]
                fact[side] = sorted(levels, reverse=side == "bids")
        for side in ("best_bid", "best_ask"):
            if side in item:
                fact[side] = None if item[side] in (None, "") else _number(item[side])
        return fact
    fact["id"] = str(item["id"])
    if "status" in item:
        fact["status"] = item["status"].upper()
    if "size_matched" in item:
        fact["size_matched"] = _number(item["size_matched"])
    return fact


# ---------------------------------------------------------------- the pack's own lines
def pack_jsonl(line: str) -> dict[str, Any] | None:
    """The quickstart's JSON lines (trading_feed.py): book, order and trade lines."""
    if not line.startswith("{"):
        return None
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    fact = _pack_fact(value)
    return fact if fact is not None and _problem(fact) is None else None  # else: not a fact


def _pack_fact(value: dict[str, Any]) -> dict[str, Any] | None:
    kind = value.get("type")
    if kind == "book" and value.get("asset_id"):
        return {
            "kind": "book",
            "asset_id": str(value["asset_id"]),
            "live": value.get("status") == "live",
            "bids": value.get("bids") or [],
            "asks": value.get("asks") or [],
            "best_bid": value.get("best_bid"),
            "best_ask": value.get("best_ask"),
        }
    if kind in ("order", "trade") and value.get("id") and isinstance(value.get("status"), str):
        fact = {"kind": kind, "id": str(value["id"]), "status": value["status"]}
        if kind == "order" and value.get("size_matched") is not None:
            fact["size_matched"] = value["size_matched"]
        return fact
    return None


PACK_JSONL = Adapter("pack-jsonl", pack_jsonl)
