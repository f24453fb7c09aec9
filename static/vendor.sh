#!/usr/bin/env bash
# Vendors the front-end assets from their npm packages at pinned versions and
# checks them against the recorded SHA-256 sums in vendor/VERSIONS.
#   static/vendor.sh          fetch from npm and verify
#   static/vendor.sh check    verify the committed files only (no network)
#   UPDATE=1 static/vendor.sh after changing a version: fetch and record new sums
set -euo pipefail
cd "$(dirname "$0")"

HTMX_VERSION=2.0.11
PICO_VERSION=2.1.1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fetch() { # package version file-in-package dest
  (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null)
  local tgz
  tgz=$(ls "$tmp"/*.tgz)
  tar -xzf "$tgz" -C "$tmp"
  cp "$tmp/package/$3" "vendor/$4"
  rm -rf "$tmp"/package "$tgz"
}

if [ "${1:-}" != check ]; then
  fetch htmx.org "$HTMX_VERSION" dist/htmx.min.js htmx.min.js
  fetch @picocss/pico "$PICO_VERSION" css/pico.min.css pico.min.css
fi

if [ "${UPDATE:-}" = 1 ]; then
  {
    echo "# Vendored assets: package, version, SHA-256 (written by static/vendor.sh)"
    echo "htmx.org $HTMX_VERSION $(sha256sum vendor/htmx.min.js | cut -d' ' -f1) htmx.min.js"
    echo "@picocss/pico $PICO_VERSION $(sha256sum vendor/pico.min.css | cut -d' ' -f1) pico.min.css"
  } > vendor/VERSIONS
fi
while read -r pkg version sum file; do
  case "$pkg" in '#'*) continue ;; esac
  echo "$sum  vendor/$file" | sha256sum --check --quiet || { echo "checksum mismatch for $pkg@$version" >&2; exit 1; }
done < vendor/VERSIONS
echo "htmx.org@$HTMX_VERSION and @picocss/pico@$PICO_VERSION: checksums match"
