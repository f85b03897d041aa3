"""The battery: each scenario drives a fresh mock and judges the client from the mock's records.

A scenario is a `Scenario`: how its run is set up (assets, credentials, a fault armed before
the client starts) and an async `judge(run)` that applies the fault once the client is
subscribed and returns a `Verdict`. Every bound is taken from `run.bounds` and named in the
verdict's reason.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .bounds import SHORT_RETRY_AFTER
from .harness import Options, Run, fresh_credentials
from .leaks import find_leaks
from .output_check import OutputProbe

__all__ = ["SCENARIOS", "Scenario", "Verdict", "run_scenario"]

MAX_PER_CONNECTION = 200  # Polymarket: about 200 assets per market connection (reference)
MANY_ASSETS = 250
OVERSIZED_BYTES = 2_000_000


@dataclass
class Verdict:
    """The outcome of one scenario."""

    status: str  # PASS, FAIL or SKIP
    reason: str
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    output_error: str | None = None  # the output adapter failed: the lines were not judged


def ok(reason: str) -> Verdict:
    return Verdict("PASS", reason)


def fail(reason: str) -> Verdict:
    return Verdict("FAIL", reason)


@dataclass
class Scenario:
    """One row of the battery."""

    name: str
    summary: str
    judge: Callable[[Run], Awaitable[Verdict]]
    needs: tuple[str, ...] = ()  # channels the client must speak, else SKIP
    assets: int | None = None
    bad_credentials: bool = False
    activity: float | None = None
    before_client: Callable[[Run], Any] | None = None
    may_exit: bool = False  # the client may stop on its own (it gave up) without failing
    stops_client: bool = False  # the judge sends the signal itself
    book_check: bool = True  # --output-format pack-jsonl: compare books at the end


# ---------------------------------------------------------------- helpers
def _ids(records) -> str:
    return ", ".join(f"#{r.id}" for r in records) or "none"


def _ended(record) -> str:
    if record.closed_at is None:
        return "still open"
    code = "no close frame" if record.close_code is None else f"code {record.close_code}"
    return f"closed by {record.closed_by} ({code})"


def _died(run: Run) -> str:
    return f"the client exited with code {run.exit_code}" + (
        f" (stderr: {run.tail()})" if run.stderr else ""
    )


async def _settle(run: Run) -> None:
    await asyncio.sleep(run.bounds.exact("settle"))


async def _recovered(run: Run, since: float, bound: float, channels=None) -> dict[str, float]:
    """Seconds until each channel was fully subscribed on connections opened after `since`;
    a channel missing from the result did not recover within `bound`."""
    channels = channels or run.options.channels
    took: dict[str, float] = {}

    def check() -> bool:
        for channel in channels:
            if channel not in took and run.ready(channel, since):
                took[channel] = run.now - since
        return len(took) == len(channels)

    await run.wait(check, bound)
    return took


def _recovery_verdict(run: Run, what: str, took: dict[str, float], name: str, since: float):
    bound = run.bounds.says(name)
    missing = [ch for ch in run.options.channels if ch not in took]
    if not run.alive:
        return fail(f"after {what}: {_died(run)}")
    if missing:
        parts = []
        for channel in missing:
            shakes = run.handshakes(channel, since)
            parts.append(
                f"{channel}: not subscribed again within {bound}; "
                f"{len(shakes)} handshake(s) since the fault"
            )
        return fail(f"after {what}: " + "; ".join(parts))
    done = ", ".join(f"{ch} in {took[ch]:.2f} s" for ch in run.options.channels)
    return ok(f"after {what}: resubscribed {done} (bound {bound})")


# ---------------------------------------------------------------- scenarios
async def subscription(run: Run) -> Verdict:
    """First frame of every connection a valid, complete subscription for its channel."""
    problems, seen = [], []
    for record in run.mock.connections:
        frames = [text for _, text in record.frames_received if text != "PING"]
        if record.subscribed_at is None:
            first = frames[0][:60] if frames else "nothing"
            problems.append(
                f"{record.channel} #{record.id}: no valid subscription (first: {first})"
            )
            continue
        if record.channel == "market":
            extra = record.assets - set(run.asset_ids)
            if extra:
                problems.append(f"market #{record.id}: {len(extra)} asset id(s) it was not given")
            seen.append(f"market #{record.id}: {len(record.assets)} assets")
        else:
            if record.api_key != run.given.api_key:
                problems.append(f"user #{record.id}: not authenticated with the given key")
            seen.append(f"user #{record.id}: authenticated")
    if "market" in run.options.channels:
        covered = set().union(*(r.assets for r in run.open_records("market")))
        missing = set(run.asset_ids) - covered
        if missing:
            problems.append(f"market: {len(missing)} of {len(run.asset_ids)} assets never asked")
    if problems:
        return fail("; ".join(problems))
    return ok(
        "first frame a valid subscription on every connection: "
        + "; ".join(seen)
        + f" (all channels within the startup bound, {run.bounds.startup:g} s, not scaled)"
    )


async def heartbeat(run: Run) -> Verdict:
    """Text PING after the subscription only, at least every 15 s x scale, no flood."""
    window = run.bounds.exact("heartbeat_window")
    start = run.now
    await asyncio.sleep(window)
    end = run.now
    max_gap = run.bounds.upper("ping_max_gap")
    min_mean = run.bounds.exact("ping_min_mean")
    problems, seen = [], []
    for record in run.mock.connections:
        early = [
            t for t in record.pings if record.subscribed_at is None or t < record.subscribed_at
        ]
        if early:
            problems.append(
                f"{record.channel} #{record.id}: {len(early)} PING(s) before the subscription "
                "(the live server closes with 1008, nautilus_trader#4864)"
            )
    for record in run.mock.connections:
        if record.subscribed_at is None or record.opened_at > start:
            continue
        stop = min(end, record.closed_at or end)
        pings = [t for t in record.pings if record.subscribed_at <= t <= stop]
        marks = [record.subscribed_at, *pings, stop]
        gap = max(b - a for a, b in zip(marks, marks[1:], strict=False))
        inside = [t for t in pings if t >= start]
        allowed = (stop - start) / min_mean + 2
        if gap > max_gap:
            problems.append(
                f"{record.channel} #{record.id}: {gap:.2f} s without a PING "
                f"(bound {run.bounds.says('ping_max_gap')})"
            )
        if len(inside) > allowed:
            problems.append(
                f"{record.channel} #{record.id}: {len(inside)} PINGs in {stop - start:.2f} s, a "
                f"flood (at most one per {run.bounds.says('ping_min_mean', min_mean)} on average)"
            )
        seen.append(f"{record.channel} #{record.id}: {len(inside)} PINGs, longest gap {gap:.2f} s")
    if not run.alive:
        return fail(_died(run))
    if problems:
        return fail("; ".join(problems))
    return ok(
        f"over {window:.2f} s: "
        + "; ".join(seen)
        + f" (gap bound {run.bounds.says('ping_max_gap')})"
    )


async def stall(run: Run) -> Verdict:
    """Market data stops while PONG still flows: a new subscribed connection within the bound."""
    await _settle(run)
    targets = [r for r in run.open_records("market") if r.subscribed_at]
    since = run.now
    for record in targets:
        run.mock.faults.stall(connection_id=record.id)
    took = await _recovered(run, since, run.bounds.upper("stall"), ("market",))
    if "market" in took and run.alive:
        return ok(
            f"stalled market connection(s) {_ids(targets)} replaced: resubscribed after "
            f"{took['market']:.2f} s (bound {run.bounds.says('stall')})"
        )
    if not run.alive:
        return fail(f"during the stall: {_died(run)}")
    pings = sum(1 for r in targets for t in r.pings if t >= since)
    return fail(
        f"market connection(s) {_ids(targets)} stalled (data stopped, {pings} PINGs answered "
        f"with PONG): no new subscribed connection within {run.bounds.says('stall')}"
    )


async def dead_link(run: Run) -> Verdict:
    """Nothing read or sent (no PONG): every channel replaced within the bound."""
    return await _cut_every_link(
        run, run.mock.faults.dead_link, "dead_link", "a dead link on {} (no PONG)"
    )


async def drop(run: Run) -> Verdict:
    """TCP lost without a close frame: every channel back within the bound."""
    return await _cut_every_link(run, run.mock.faults.drop, "reconnect", "an abrupt drop of {}")


async def _cut_every_link(run: Run, fault: Callable[..., None], bound: str, what: str) -> Verdict:
    """Apply `fault` to every open connection; every channel must be back within `bound`."""
    await _settle(run)
    targets = run.open_records()
    since = run.now
    for record in targets:
        fault(connection_id=record.id)
    run.faulted()
    took = await _recovered(run, since, run.bounds.upper(bound))
    return _recovery_verdict(run, what.format(_ids(targets)), took, bound, since)


async def server_close(run: Run) -> Verdict:
    """The server closes with 1000, then 1001, then 1012: back within the bound each time."""
    await _settle(run)
    done = []
    for code, reason in ((1000, ""), (1001, "going away"), (1012, "service restart")):
        targets = run.open_records()
        since = run.now
        closing = [
            asyncio.create_task(run.mock.faults.close(code, reason, connection_id=r.id))
            for r in targets
        ]
        took = await _recovered(run, since, run.bounds.upper("reconnect"))
        await asyncio.gather(*closing, return_exceptions=True)
        verdict = _recovery_verdict(run, f"a server close {code}", took, "reconnect", since)
        if verdict.status != "PASS":
            return verdict
        done.append(f"{code}: {max(took.values()):.2f} s")
    return ok(
        "reconnected after each server close ("
        + ", ".join(done)
        + f"; bound {run.bounds.says('reconnect')})"
    )


async def _handshake_window(
    run: Run, what: str, window_name: str, limit_name: str, apply: Callable[[], None]
) -> Verdict:
    """Apply a handshake-time fault, close the open connections, count handshakes in the
    window per channel, clear the fault, expect a recovery within the bound."""
    from .bounds import PRODUCTION

    await _settle(run)
    since = run.now
    apply()
    closing = [
        asyncio.create_task(run.mock.faults.close(1012, "service restart", connection_id=r.id))
        for r in run.open_records()
    ]
    window = run.bounds.exact(window_name)
    await asyncio.sleep(window)
    await asyncio.gather(*closing, return_exceptions=True)
    limit = int(PRODUCTION[limit_name])
    counts = {ch: len(run.handshakes(ch, since)) for ch in run.options.channels}
    if not run.alive:
        return fail(f"during {what}: {_died(run)}")
    said = f"{window:.2f} s ({PRODUCTION[window_name]:g} s x {run.bounds.scale:g})"
    over = {ch: n for ch, n in counts.items() if n > limit}
    if over:
        return fail(
            f"hammering during {what}: "
            + ", ".join(f"{ch} {n} handshakes" for ch, n in over.items())
            + f" in {said}; at most {limit} (back off, and reset the backoff only after "
            "stable uptime)"
        )
    run.mock.faults.clear()
    cleared = run.now
    took = await _recovered(run, cleared, run.bounds.upper("recover"))
    verdict = _recovery_verdict(run, f"{what} ended", took, "recover", cleared)
    counted = ", ".join(f"{ch} {n}" for ch, n in counts.items())
    verdict.reason = f"handshakes in {said}: {counted} (at most {limit}); " + verdict.reason
    return verdict


async def accept_then_close(run: Run) -> Verdict:
    """Every connection accepted then closed at once (1011): no tight loop, then recovery."""
    return await _handshake_window(
        run,
        "an accept-then-close loop (1011)",
        "loop_window",
        "loop_max",
        lambda: run.mock.faults.accept_then_close(code=1011, reason="", times=None),
    )


def _reject_5xx(run: Run) -> None:
    run.mock.faults.reject_handshake(502, times=1)
    run.mock.faults.reject_handshake(503, times=1)
    run.mock.faults.reject_handshake(504, times=None)


async def handshake_5xx(run: Run) -> Verdict:
    """Handshakes refused with 502, 503, then 504: retried with backoff, not fatal."""
    return await _handshake_window(
        run,
        "handshakes refused with 502/503/504",
        "error_window",
        "error_max",
        lambda: _reject_5xx(run),
    )


async def handshake_429(run: Run) -> Verdict:
    """One handshake per channel refused with 429 + Retry-After: waited out, then back."""
    return await _rate_limited(run, run.bounds.retry_after())


async def handshake_429_short(run: Run) -> Verdict:
    """429 with Retry-After: 1: the floor (60 s x scale) still holds; obeyed blindly, a server
    that keeps answering 429 so gets a handshake every second."""
    return await _rate_limited(run, SHORT_RETRY_AFTER)


async def handshake_429_bare(run: Run) -> Verdict:
    """429 without Retry-After: the floor holds; without one a client retries at once."""
    return await _rate_limited(run, None)


async def _rate_limited(run: Run, retry_after: int | None) -> Verdict:
    """One handshake per channel refused with 429 (with `retry_after`, or no header): the next
    handshake comes no sooner than max(Retry-After, the floor), and the client comes back."""
    await _settle(run)
    floor = run.bounds.rate_limited_floor()
    wait = max(floor, retry_after or 0)
    header = "without Retry-After" if retry_after is None else f"with Retry-After: {retry_after}"
    if retry_after is None or retry_after < floor:
        why = f"the floor, {run.bounds.says('rate_limited', floor)}, the pack's choice"
    else:
        why = "the Retry-After"
    for channel in run.options.channels:
        run.mock.faults.reject_handshake(429, times=1, channel=channel, retry_after=retry_after)
    since = run.now
    for record in run.open_records():
        run.mock.faults.drop(connection_id=record.id)
    run.faulted()
    bound = wait + run.bounds.upper("reconnect")
    took = await _recovered(run, since, bound)
    if not run.alive:
        return fail(f"after HTTP 429 {header}: {_died(run)} (429 must not be fatal)")
    problems, seen = [], []
    for channel in run.options.channels:
        refused = run.handshakes(channel, since, status=429)
        if not refused:
            problems.append(f"{channel}: never got the 429 (no handshake after the drop)")
            continue
        later = [h for h in run.handshakes(channel, refused[0].at) if h is not refused[0]]
        if not later:
            problems.append(f"{channel}: no handshake after the 429 within {bound:.2f} s")
            continue
        gap = later[0].at - refused[0].at
        if gap < wait * 0.95:
            problems.append(
                f"{channel}: retried {gap:.2f} s after a 429 {header} "
                f"(must wait at least {wait:.2f} s: {why})"
            )
        elif channel not in took:
            problems.append(f"{channel}: not subscribed again within {bound:.2f} s")
        else:
            seen.append(f"{channel} retried after {gap:.2f} s")
    if problems:
        return fail("; ".join(problems))
    verdict = ok(
        f"429 {header} waited out ({wait:.2f} s: {why}): "
        + ", ".join(seen)
        + f"; back within {bound:.2f} s"
    )
    if retry_after == SHORT_RETRY_AFTER and floor <= retry_after:
        verdict.notes.append(
            f"at --time-scale {run.bounds.scale:g} the floor ({floor:.2f} s) is not above "
            f"Retry-After: {retry_after}, so obeying it blindly cannot be told apart"
        )
    return verdict


async def bad_credentials(run: Run) -> Verdict:
    """Wrong API credentials: the user socket is refused; no hammering, no secret printed."""
    from .bounds import PRODUCTION

    window = run.bounds.exact("loop_window")
    started = run.mock.connections[0].opened_at if run.mock.connections else run.now
    await run.wait(lambda: False, max(0.0, started + window - run.now))
    limit = int(PRODUCTION["loop_max"])
    users = run.records("user")
    shakes = len(run.handshakes("user"))
    said = f"{window:.2f} s ({PRODUCTION['loop_window']:g} s x {run.bounds.scale:g})"
    if any(r.authenticated for r in users):
        return fail("the user channel authenticated with wrong credentials (checker error?)")
    if shakes > limit:
        return fail(
            f"hammering with refused credentials: {shakes} user handshakes in {said}; "
            f"at most {limit}"
        )
    notes = (
        f"{shakes} user handshake(s) in {said}, each closed 1008 by the server (at most {limit})"
    )
    # A client whose tokens come from its orders (--seed-orders) cannot see them here.
    judged = "market" in run.options.channels and not run.options.seed_orders
    if judged and run.alive and not run.ready("market"):
        return fail(notes + "; but the market side is no longer subscribed")
    if not run.alive:
        notes += f"; the client gave up and exited with code {run.exit_code}"
    return ok(notes)


async def malformed(run: Run) -> Verdict:
    """A non-JSON frame and an unknown event type: logged, no reconnect, nothing lost."""
    await _settle(run)
    targets = run.open_records()
    since = run.now
    for record in targets:
        run.mock.faults.send_malformed(connection_id=record.id)
        run.mock.faults.send_unknown_event(connection_id=record.id)
    await run.wait(lambda: False, run.bounds.upper("quiet"))
    if not run.alive:
        return fail(f"after a malformed frame: {_died(run)}")
    ended = [r for r in targets if r.closed_at is not None]
    if ended:
        return fail(
            "a malformed or unknown frame ended "
            + ", ".join(f"{r.channel} #{r.id} ({_ended(r)})" for r in ended)
        )
    fresh = [h for ch in run.options.channels for h in run.handshakes(ch, since)]
    if fresh:
        return fail(f"{len(fresh)} new handshake(s) after the malformed frames")
    return ok(
        f"a non-JSON frame and an unknown event_type on {_ids(targets)}: connections kept for "
        f"{run.bounds.says('quiet')}, no reconnect"
    )


def _arm_oversized(run: Run) -> None:
    faults = run.mock.faults
    faults.arm(
        "oversized initial frame",
        "market",
        lambda cid: faults.send_oversized(OVERSIZED_BYTES, connection_id=cid),
    )


async def oversized(run: Run) -> Verdict:
    """A valid 2 MB frame right after the subscription (a big initial dump): read, kept."""
    first = next((r for r in run.records("market") if r.subscribed_at), None)
    if first is None:
        return fail("no market connection")
    await run.wait(lambda: False, run.bounds.upper("quiet"))
    if not run.alive:
        return fail(f"after a {OVERSIZED_BYTES:,}-byte frame: {_died(run)}")
    if first.closed_at is not None:
        hint = " (1009: raise max_size)" if first.close_code == 1009 else ""
        return fail(
            f"after a {OVERSIZED_BYTES:,}-byte frame: market #{first.id} {_ended(first)}{hint}"
        )
    return ok(
        f"a {OVERSIZED_BYTES:,}-byte frame after the subscription on market #{first.id}: "
        f"connection kept for {run.bounds.says('quiet')}"
    )


async def many_assets(run: Run) -> Verdict:
    """More than 200 assets: sharded, no connection over 200 at any time."""
    await _settle(run)
    records = run.records("market")
    worst = 0
    for record in records:
        asked: set[str] = set()
        for frame in record.subscriptions:
            ids = frame.get("assets_ids") or []
            if frame.get("operation") == "unsubscribe":
                asked -= set(ids)
            else:
                asked |= set(ids)
            worst = max(worst, len(asked))
    live = run.open_records("market")
    sizes = " + ".join(str(len(r.assets)) for r in live)
    if worst > MAX_PER_CONNECTION:
        return fail(
            f"{len(run.asset_ids)} assets: a connection carried {worst} (at most "
            f"{MAX_PER_CONNECTION} per connection); open now: {sizes}"
        )
    return ok(
        f"{len(run.asset_ids)} assets on {len(live)} connections ({sizes}), none over "
        f"{MAX_PER_CONNECTION}"
    )


def _withhold_first_book(run: Run) -> None:
    run.mock.faults.stall(channel="market", asset_id=run.asset_ids[0])


async def missing_book(run: Run) -> Verdict:
    """One asset's first `book` never comes and the asset stays silent (its data is withheld
    too) until the client asks for it again: by a subscribe naming it, on that connection
    (after an unsubscribe) or on a new one."""
    asset = run.asset_ids[0]
    short = asset[:10] + "..."
    subscribed = [r for r in run.records("market") if r.subscribed_at and asset in r.assets]
    if not subscribed:
        return fail(f"asset {short} never subscribed")
    first = subscribed[0]
    since = first.subscribed_at
    assert since is not None

    def asks() -> int:
        again = sum(
            asset in (frame.get("assets_ids") or [])
            and frame.get("operation", "subscribe") == "subscribe"
            for record in run.records("market")
            for frame in record.subscriptions
        )
        return again - 1  # the first subscription does not count

    bound = run.bounds.upper("missing_book")
    found = await run.wait(lambda: asks() > 0, max(0.0, since + bound - run.now))
    took = run.now - since
    run.mock.faults.clear()  # the asset speaks again: the next request gets its book
    if found:  # not judged: lets --output-format compare a book the client could have
        asked = asks()
        await run.wait(lambda: asks() > asked, bound)
    if not run.alive:
        return fail(f"while the first book of {short} was missing: {_died(run)}")
    if not found:
        return fail(
            f"the first book of {short} was withheld on market #{first.id}: the asset was not "
            f"asked again within {run.bounds.says('missing_book')}"
        )
    return ok(
        f"the first book of {short} was withheld: asked again after {took:.2f} s "
        f"(bound {run.bounds.says('missing_book')})"
    )


async def _shutdown(run: Run, sig: int, name: str) -> Verdict:
    await _settle(run)
    targets = run.open_records()
    code, took = await run.stop(sig)
    bound = run.bounds.exit_within
    if code is None:
        return fail(f"still running {bound:g} s after {name} (bound {bound:g} s, not scaled)")
    await run.wait(lambda: all(r.closed_at is not None for r in targets), 2.0)
    bad = [r for r in targets if not (r.closed_by == "client" and r.close_code == 1000)]
    problems = []
    if code != 0:
        problems.append(f"exit code {code}")
    if bad:
        problems.append(
            "not closed with 1000 by the client: "
            + ", ".join(f"{r.channel} #{r.id} {_ended(r)}" for r in bad)
        )
    if problems:
        return fail(f"after {name}: " + "; ".join(problems))
    return ok(
        f"after {name}: exit 0 in {took:.2f} s (bound {bound:g} s, not scaled); "
        f"{len(targets)} socket(s) closed by the client with 1000"
    )


async def shutdown_sigterm(run: Run) -> Verdict:
    """SIGTERM: close 1000 on every socket, exit 0 within the bound."""
    return await _shutdown(run, signal.SIGTERM, "SIGTERM")


async def shutdown_sigint(run: Run) -> Verdict:
    """SIGINT (Ctrl-C): close 1000 on every socket, exit 0 within the bound."""
    return await _shutdown(run, signal.SIGINT, "SIGINT")


# Here, not at the top: that module builds its scenarios from the classes defined above.
from .scenarios_market import MARKET_SCENARIOS  # noqa: E402
from .scenarios_rest import REST_SCENARIOS  # noqa: E402
from .scenarios_secrets import SECRETS_SCENARIOS  # noqa: E402

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario("subscription", "first frame a valid subscription per channel", subscription),
        Scenario(
            "heartbeat",
            "text PING only after subscribing, every <= 15 s x scale, no flood",
            heartbeat,
        ),
        Scenario(
            "stall",
            "market data stops, PONG flows: reconnect within 120 s x scale",
            stall,
            needs=("market",),
        ),
        Scenario("dead-link", "no PONG, nothing read: reconnect within 45 s x scale", dead_link),
        Scenario("drop", "TCP lost without a close frame: back within 10 s x scale", drop),
        Scenario(
            "server-close",
            "server closes 1000, 1001, 1012: back within 10 s x scale each",
            server_close,
        ),
        Scenario(
            "accept-then-close",
            "accepted then closed (1011) for 60 s x scale: <= 20 handshakes, then back",
            accept_then_close,
        ),
        Scenario(
            "handshake-429",
            "429 with Retry-After (60 s x scale): waited, retried, not fatal",
            handshake_429,
        ),
        Scenario(
            "handshake-429-short",
            "429 with Retry-After: 1: still waits the 60 s x scale floor, then back",
            handshake_429_short,
        ),
        Scenario(
            "handshake-429-bare",
            "429 without Retry-After: waits the 60 s x scale floor, then back",
            handshake_429_bare,
        ),
        Scenario(
            "handshake-5xx",
            "502/503/504 for 30 s x scale: <= 15 handshakes, not fatal, then back",
            handshake_5xx,
        ),
        *SECRETS_SCENARIOS,
        Scenario(
            "bad-credentials",
            "wrong API secret: <= 20 user handshakes in 60 s x scale, no secret printed",
            bad_credentials,
            needs=("user",),
            bad_credentials=True,
            may_exit=True,
            book_check=False,
        ),
        Scenario(
            "malformed", "non-JSON and unknown-event frames: no reconnect, no crash", malformed
        ),
        *MARKET_SCENARIOS,
        Scenario(
            "oversized",
            "a valid 2 MB frame after subscribing: read, not closed 1009",
            oversized,
            needs=("market",),
            before_client=_arm_oversized,
        ),
        Scenario(
            "many-assets",
            f"{MANY_ASSETS} assets: sharded, <= {MAX_PER_CONNECTION} per connection",
            many_assets,
            needs=("market",),
            assets=MANY_ASSETS,
            activity=1.0,
            book_check=False,
        ),
        Scenario(
            "missing-book",
            "an asset's first book withheld, asset silent: asked again in 45 s x scale",
            missing_book,
            needs=("market",),
            before_client=_withhold_first_book,
        ),
        *REST_SCENARIOS,
        Scenario(
            "shutdown",
            "SIGTERM: 1000 on every socket, exit 0 within the exit bound",
            shutdown_sigterm,
            stops_client=True,
            book_check=False,
        ),
        Scenario(
            "shutdown-sigint",
            "SIGINT: 1000 on every socket, exit 0 within the exit bound",
            shutdown_sigint,
            stops_client=True,
            book_check=False,
        ),
    )
}


# ---------------------------------------------------------------- one scenario, start to end
async def run_scenario(options: Options, scenario: Scenario) -> Verdict:
    """A fresh mock, the client, the scenario, SIGTERM, the secret scan, the output check."""
    missing = [ch for ch in scenario.needs if ch not in options.channels]
    if missing:
        return Verdict("SKIP", f"the client does not speak {', '.join(missing)} (--channels)")
    loop = asyncio.get_running_loop()
    began = loop.time()
    run = Run(
        options,
        assets=scenario.assets,
        given=fresh_credentials() if scenario.bad_credentials else None,
        activity=scenario.activity,
    )
    try:
        await run.start(scenario.before_client)
        # With wrong credentials the user side never subscribes; a client whose tokens come
        # from its orders (--seed-orders) cannot see them, so its market side is not awaited.
        blind = ("user", "market") if options.seed_orders else ("user",)
        channels = [ch for ch in options.channels if not (scenario.bad_credentials and ch in blind)]
        ready = await run.wait(lambda: all(run.ready(ch) for ch in channels), run.bounds.startup)
        if scenario.bad_credentials and "market" not in channels:
            ready = True  # nothing else to wait for: the window starts now
        if not ready:
            if not run.alive:
                verdict = fail(f"never ready: {_died(run)}")
            else:
                state = (
                    "; ".join(
                        f"{r.channel} #{r.id} {_ended(r)}, subscribed={r.subscribed_at is not None}"
                        for r in run.mock.connections
                    )
                    or "no connection at all"
                )
                verdict = fail(
                    f"not subscribed on every channel within {run.bounds.startup:g} s "
                    f"of starting the client ({state})"
                )
        else:
            probe = None
            if options.output is not None and scenario.book_check:
                probe = OutputProbe(run, options.output)
                probe.start()
            verdict = await scenario.judge(run)
            if (
                verdict.status == "PASS"
                and not run.alive
                and not scenario.may_exit
                and not scenario.stops_client
            ):
                verdict = fail(f"{_died(run)} before the checker stopped it")
            if probe is not None and verdict.status == "PASS" and run.alive:
                checked = await probe.judge()
                if checked.error:
                    verdict.output_error = checked.error
                    verdict.notes.append(f"output not checked: {checked.error}")
                elif checked.problem:
                    verdict = fail(checked.problem + f" (after: {verdict.reason})")
                else:
                    verdict.notes.append(
                        f"output: the last lines equal the mock's ({checked.compared})"
                    )
        if not scenario.stops_client:
            code, took = await run.stop(signal.SIGTERM)
            if code is None:
                verdict.notes.append(
                    f"did not exit within {run.bounds.exit_within:g} s of SIGTERM (killed)"
                )
        leaks = find_leaks(run.secrets(), run.output())
        if leaks:
            verdict = fail(
                "secret in the client's output: "
                + "; ".join(leaks)
                + f" (was: {verdict.status} {verdict.reason})"
            )
    finally:
        await run.close()
    verdict.seconds = loop.time() - began
    return verdict
