#!/usr/bin/env bash
# Refresh the mermaid bundle the site serves itself, so diagrams render with no CDN.
#
# Material for MkDocs fetches mermaid from unpkg unless a global `mermaid` already exists; the
# site loads this file through `extra_javascript` first. Stay on mermaid 11: Material 9.x is
# written against its API (its own fallback URL is mermaid@11).
#
# Usage: tools/vendor_mermaid.sh [VERSION]      (needs npm and the npm registry)
set -euo pipefail
VERSION="${1:-11.17.2}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/site_src/theme/assets/vendor/mermaid"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
command -v npm >/dev/null || { echo "error: npm not found; install Node.js and npm" >&2; exit 1; }
(cd "$WORK" && npm pack --silent "mermaid@$VERSION" >/dev/null)
tar -xzf "$WORK"/mermaid-*.tgz -C "$WORK" package/dist/mermaid.min.js package/LICENSE
mkdir -p "$DEST"
cp "$WORK/package/dist/mermaid.min.js" "$WORK/package/LICENSE" "$DEST/"
echo "$VERSION" > "$DEST/VERSION"
echo "mermaid $VERSION -> $DEST"
