"""check_client.py --output-adapter for custom_lines.py, reading best prices only (a client that
prints no levels is checked on these)."""


def parse_line(line):
    kind, *fields = line.split(",")
    if kind != "book":
        return None
    asset, state, best_bid, best_ask = fields[:4]
    return {"kind": "book", "asset_id": asset, "live": state == "live",
            "best_bid": best_bid or None, "best_ask": best_ask or None}  # fmt: skip
