"""check_client.py --output-adapter for custom_lines.py's CSV lines (the quickstart's example)."""


def parse_line(line):
    kind, *fields = line.split(",")
    if kind == "book":
        asset, state, _best_bid, _best_ask, bids, asks = fields
        pairs = lambda text: [level.split(":") for level in text.split()]  # noqa: E731
        return {"kind": "book", "asset_id": asset, "live": state == "live",
                "bids": pairs(bids), "asks": pairs(asks)}  # fmt: skip
    if kind == "order":
        return {"kind": "order", "id": fields[0], "status": fields[1], "size_matched": fields[2]}
    if kind == "trade":
        return {"kind": "trade", "id": fields[0], "status": fields[1]}
    return None
