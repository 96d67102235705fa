#!/usr/bin/env bash
# Crates in the normal dependency tree, and the release build time, of a fresh
# crate that depends on portcullis with all rooms, then with each room alone
# (`default-features = false, features = [ROOM]`). The README records its output.
# Usage: bash scripts/measure-rooms.sh [ROOM...]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
rooms=("$@")
[ ${#rooms[@]} -gt 0 ] || rooms=(all token crypto password ratelimit web)

for room in "${rooms[@]}"; do
    dir="$scratch/dep-$room"
    mkdir -p "$dir/src"
    if [ "$room" = all ]; then
        dep="portcullis = { path = \"$repo\" }"
    else
        dep="portcullis = { path = \"$repo\", default-features = false, features = [\"$room\"] }"
    fi
    printf '[package]\nname = "dep-%s"\nversion = "0.0.0"\nedition = "2024"\npublish = false\n\n[dependencies]\n%s\n\n[workspace]\n' \
        "$room" "$dep" >"$dir/Cargo.toml"
    echo 'fn main() {}' >"$dir/src/main.rs"
    (
        cd "$dir"
        # portcullis and its dependencies, each crate version once (not the scratch crate).
        crates="$(cargo tree -q -e normal --prefix none | sed 's/ (\*)$//; s/ (proc-macro)$//' |
            sort -u | grep -vc '^dep-')"
        load="$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo '?')"
        start="$(date +%s)"
        cargo build -q --release
        end="$(date +%s)"
        echo "$room: $crates crates, release build $((end - start)) s (load average before: $load)"
    )
done
