"""REST faults, for clients that read REST (issue 16, part 3).

A client reads REST if it made an L2-signed /data/* request by the time it was subscribed (the
pack reads the account after every connect); otherwise these scenarios SKIP. Each one drops the
user connection so that the client reconciles, with a REST fault in the way (the mock's
rest_faults.py), and judges from the mock's record of every REST request (arrival and answer
times on the checker's loop):

* rest-429: the first read after the drop gets 429 with ``Retry-After: 2``: no signed read may
  arrive within 2 s of that answer (one sent in parallel before the 429 reached the client, on
  loopback, lands before it: no grace), the stream must be back meanwhile, then a read succeed.
* rest-5xx: every read answers 503 for 30 s x scale: at most 15 reads (the handshake-5xx
  allowance), then a read must succeed once it clears.
* rest-hang: reads never answer; the stream must still come back, and SIGTERM must end the
  client within the exit bound.
* rest-gap and rest-stale (judged from the client's lines through its output adapter: pack-jsonl
  or --output-adapter; SKIP without one): orders
  changed during the gap, one of them placed and filled inside it; and a REST answer held until
  the stream has shown a newer state of the same order: the client's last word must be the
  newer one.

Registered in scenarios.SCENARIOS.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from .adapter import AdapterError
from .harness import Run
from .scenarios import Scenario, Verdict, _died, _settle, fail, ok

__all__ = ["REST_SCENARIOS"]

RETRY_AFTER = 2  # seconds, not scaled: a server's instruction is obeyed as given
STATUS_5XX = 503


def _skip(reason: str) -> Verdict:
    return Verdict("SKIP", reason)


async def _reads_rest(run: Run) -> bool:
    """Whether the client made an L2-signed /data/* read (waiting up to the settle time)."""
    reads = run.mock.faults.rest.signed_reads
    return await run.wait(lambda: bool(reads()), max(run.bounds.exact("settle"), 1.0))


def _drop_user(run: Run) -> float:
    since = run.now
    for record in run.open_records("user"):
        run.mock.faults.drop(connection_id=record.id)
    return since


def _order_facts(run: Run) -> list[dict[str, Any]]:
    """Every order fact the client printed, in order, through its output adapter (pack-jsonl
    or its own --output-adapter). The one place the client's lines are read."""
    adapter, facts = run.options.output, []
    if adapter is None:
        return facts
    for number, (_, text) in enumerate(list(run.stdout), 1):
        try:
            facts += [f for f in adapter.facts(text, number) if f["kind"] == "order"]
        except AdapterError:
            continue  # run_scenario's output check names a broken adapter
    return facts


def _order_lines(run: Run) -> dict[str, dict[str, Any]]:
    """The client's last word per order id: status and matched size, each as last said."""
    last: dict[str, dict[str, Any]] = {}
    for fact in _order_facts(run):
        last.setdefault(fact["id"], {}).update(
            {k: v for k, v in fact.items() if k in ("status", "size_matched")}
        )
    return last


def _wrong_orders(run: Run, order_ids: dict[str, str]) -> list[str]:
    """Orders whose last word differs from the mock's status and matched size."""
    words, wrong = _order_lines(run), []
    for order_id, what in order_ids.items():
        truth, word = run.mock.exchange.orders[order_id], words.get(order_id)
        if word is None:
            wrong.append(f"{what}: no order line")
            continue
        status, matched = word.get("status"), word.get("size_matched")
        if (status is not None and status != truth["status"].upper()) or (
            matched is not None and matched != Decimal(truth["size_matched"])
        ):
            wrong.append(
                f"{what}: last word {status} matched {matched}, "
                f"the mock's {truth['status']} matched {truth['size_matched']}"
            )
    return wrong


def _order(run: Run, size: str = "10", asset: str | None = None) -> str:
    """A resting bid of the account at the lowest bid level (it never crosses)."""
    asset = asset or run.mock.markets[0].token_ids[0]
    bids = run.mock.book(asset)["bids"]
    return run.mock.exchange.place_order(asset, "BUY", bids[0]["price"] if bids else "0.01", size)


async def _preamble(run: Run, pack_lines: bool = False) -> Verdict | None:
    """SKIP unless the client reads REST (and has an output adapter when judged from lines)."""
    if not await _reads_rest(run):
        return _skip("the client reads no REST (no L2-signed /data/* request after subscribing)")
    if pack_lines and run.options.output is None:
        return _skip(
            "judged from the client's order lines: needs --output-format pack-jsonl or "
            "--output-adapter"
        )
    await _settle(run)
    return None


async def rest_429(run: Run) -> Verdict:
    """429 with Retry-After on the first read after a drop: nothing sooner, then a read."""
    if (skipped := await _preamble(run)) is not None:
        return skipped
    rest = run.mock.faults.rest
    rest.refuse(429, retry_after=RETRY_AFTER, times=1)
    since = _drop_user(run)
    bound = run.bounds.upper("reconnect")
    limited = lambda: [r for r in rest.signed_reads(since) if r.status == 429]  # noqa: E731
    if not await run.wait(lambda: bool(limited()), bound + RETRY_AFTER):
        return fail(f"no signed REST read within {bound + RETRY_AFTER:.2f} s of a user drop")
    answered = limited()[0].answered_at
    assert answered is not None
    back = run.ready("user", since) or await run.wait(lambda: run.ready("user", since), bound)
    recover = RETRY_AFTER + run.bounds.upper("recover")
    good = lambda: [r for r in rest.signed_reads(answered) if r.status == 200]  # noqa: E731
    await run.wait(lambda: bool(good()), recover)
    if not run.alive:
        return fail(f"after a REST 429: {_died(run)}")
    early = [r for r in rest.signed_reads(answered) if r.at < answered + RETRY_AFTER]
    if early:
        return fail(
            f"{len(early)} signed read(s) within {RETRY_AFTER} s of a 429 with Retry-After: "
            f"{RETRY_AFTER} (the first {early[0].at - answered:.2f} s after it, "
            f"{early[0].path}): never read sooner than the server asked"
        )
    if not back:
        return fail(f"the user stream was not back within {bound:.2f} s while REST was limited")
    if not good():
        return fail(f"no successful read within {recover:.2f} s of the 429 (gave up on REST?)")
    return ok(
        f"429 with Retry-After: {RETRY_AFTER} on {limited()[0].path}: next read "
        f"{good()[0].at - answered:.2f} s later (at least {RETRY_AFTER} s); stream back meanwhile"
    )


async def rest_5xx(run: Run) -> Verdict:
    """Every read answers 503 for a window: backed off (a read count), then a good read."""
    from .bounds import PRODUCTION

    if (skipped := await _preamble(run)) is not None:
        return skipped
    rest = run.mock.faults.rest
    rest.refuse(STATUS_5XX)
    since = _drop_user(run)
    window = run.bounds.exact("error_window")
    await run.wait(lambda: False, window)
    limit = int(PRODUCTION["error_max"])
    count = len(rest.signed_reads(since))
    rest.clear()
    cleared = run.now
    bound = run.bounds.upper("recover")
    good = lambda: [r for r in rest.signed_reads(cleared) if r.status == 200]  # noqa: E731
    await run.wait(lambda: bool(good()), bound)
    said = f"{window:.2f} s ({PRODUCTION['error_window']:g} s x {run.bounds.scale:g})"
    if not run.alive:
        return fail(f"during REST {STATUS_5XX}s: {_died(run)}")
    if count > limit:
        return fail(
            f"hammering REST: {count} signed reads answered {STATUS_5XX} in {said}; at most "
            f"{limit} (back off with jitter)"
        )
    if count == 0:
        return fail(f"no signed read in {said} after a user drop (no reconciliation?)")
    if not good():
        return fail(f"no successful read within {run.bounds.says('recover')} of REST recovering")
    return ok(
        f"{count} signed reads answered {STATUS_5XX} in {said} (at most {limit}); a good read "
        f"{good()[0].at - cleared:.2f} s after it cleared (bound {run.bounds.says('recover')})"
    )


async def rest_hang(run: Run) -> Verdict:
    """Reads never answer: the stream comes back anyway; SIGTERM ends the client in time."""
    if (skipped := await _preamble(run)) is not None:
        return skipped
    rest = run.mock.faults.rest
    rest.hold(None)
    since = _drop_user(run)
    bound = run.bounds.upper("reconnect")
    held = lambda: [r for r in rest.signed_reads(since) if r.status is None]  # noqa: E731
    waiting = await run.wait(lambda: bool(held()), bound + run.bounds.exact("settle"))
    back = await run.wait(lambda: run.ready("user", since), bound)
    if not run.alive:
        return fail(f"while a REST read hung: {_died(run)}")
    if not waiting:
        return fail(f"no signed REST read within {bound:.2f} s of a user drop")
    if not back:
        return fail(f"the user stream was not back within {bound:.2f} s while a REST read hung")
    code, took = await run.stop()
    exit_within = run.bounds.exit_within
    if code is None:
        return fail(
            f"still running {exit_within:g} s after SIGTERM while a REST read hung "
            f"(bound {exit_within:g} s, not scaled): a read must never hold up shutdown"
        )
    return ok(
        f"a REST read that never answers ({held()[0].path}): stream back meanwhile; exit "
        f"{code} {took:.2f} s after SIGTERM (bound {exit_within:g} s, not scaled)"
    )


async def rest_gap(run: Run) -> Verdict:
    """During a gap an order is filled in part, one canceled, one placed and filled: the
    client's last line on each equals the mock's after it reconciles."""
    if (skipped := await _preamble(run, pack_lines=True)) is not None:
        return skipped
    exchange = run.mock.exchange
    partial, canceled = _order(run), _order(run)
    seen = await run.wait(
        lambda: {partial, canceled} <= set(_order_lines(run)), run.bounds.upper("reconnect")
    )
    if not seen:
        return fail("two orders placed before the gap never got an order line")
    _drop_user(run)
    exchange.fill(partial, "4")  # all inside the gap: no user socket is open
    exchange.cancel(canceled)
    inside = _order(run, "5")
    exchange.fill(inside)
    orders = {partial: "filled 4 of 10", canceled: "canceled", inside: "placed and filled"}
    bound = run.bounds.upper("recover")
    problems: list[str] = []

    def right() -> bool:
        problems[:] = _wrong_orders(run, orders)
        return not problems

    await run.wait(right, bound)
    if not run.alive:
        return fail(f"after a gap: {_died(run)}")
    if problems:
        return fail(
            f"{len(problems)} of 3 orders changed in a gap wrong {bound:.2f} s after it: "
            + "; ".join(problems)
        )
    return ok(
        "3 orders changed in a gap (one filled 4 of 10, one canceled, one placed and filled "
        f"inside it): each last line equals the mock's within {run.bounds.says('recover')}"
    )


async def rest_stale(run: Run) -> Verdict:
    """A REST answer held while the stream shows a newer state of the same orders, then
    released: no word of the client after the newer state may go back to the older one."""
    if (skipped := await _preamble(run, pack_lines=True)) is not None:
        return skipped
    rest, exchange = run.mock.faults.rest, run.mock.exchange
    # One order per market: whichever market the client reads first, its held answer lists one.
    orders = [_order(run, asset=market.token_ids[0]) for market in run.mock.markets]
    bound = run.bounds.upper("reconnect")
    if not await run.wait(lambda: set(orders) <= set(_order_lines(run)), bound):
        return fail("orders placed before the fault never got an order line")
    rest.hold(None, path="/data/orders", times=1)
    since = _drop_user(run)
    held = lambda: [r for r in rest.signed_reads(since) if r.status is None]  # noqa: E731
    if not await run.wait(lambda: bool(held()) and run.ready("user", since), bound * 2):
        rest.release()
        return fail(f"no /data/orders read held and user stream back within {bound * 2:.2f} s")
    # The stream shows the cancels; the held answer still lists the orders as LIVE. (Cancels,
    # not fills: a fill's trade, read next, would mend a client that trusts the older answer.)
    for order in orders:
        exchange.cancel(order)

    def newer() -> bool:
        words = _order_lines(run)
        return all(words.get(order, {}).get("status") == "CANCELED" for order in orders)

    streamed = await run.wait(newer, bound)
    told = len(_order_facts(run))
    rest.release()
    await run.wait(lambda: False, max(run.bounds.exact("settle"), 1.0))
    if not run.alive:
        return fail(f"after an older REST answer: {_died(run)}")
    if not streamed:
        return fail(f"the stream's cancels never reached the orders' lines in {bound:.2f} s")
    # Every word after the cancel counts, not only the last: a later read may mend the state.
    wrong = [
        f"order {fact['id'][:10]}...: printed {fact['status']} after CANCELED"
        for fact in _order_facts(run)[told:]
        if fact["id"] in orders and fact.get("status") not in (None, "CANCELED")
    ][:1] or _wrong_orders(run, {order: f"order {order[:10]}..." for order in orders})
    if wrong:
        return fail(
            "an older REST answer (LIVE) released after the stream showed the orders CANCELED: "
            + wrong[0]
            + " (every later word must be the newer state)"
        )
    return ok(
        f"a /data/orders answer held while the stream showed {len(orders)} orders CANCELED, then "
        "released (it listed them LIVE): no word went back; each last word is CANCELED"
    )


REST_SCENARIOS = (
    Scenario(
        "rest-429",
        f"REST 429 with Retry-After: {RETRY_AFTER}: no read sooner, stream back, then a read",
        rest_429,
        needs=("user",),
        book_check=False,
    ),
    Scenario(
        "rest-5xx",
        "REST 503 for 30 s x scale: <= 15 reads, then a good read",
        rest_5xx,
        needs=("user",),
        book_check=False,
    ),
    Scenario(
        "rest-hang",
        "a REST read never answers: stream back, SIGTERM exits within the bound",
        rest_hang,
        needs=("user",),
        stops_client=True,
        book_check=False,
    ),
    Scenario(
        "rest-gap",
        "orders filled, canceled, placed and filled in a gap: last lines = the mock's",
        rest_gap,
        needs=("user",),
        book_check=False,
    ),
    Scenario(
        "rest-stale",
        "a REST answer older than a stream event: the last word is the newer state",
        rest_stale,
        needs=("user",),
        book_check=False,
    ),
)
