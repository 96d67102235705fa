#!/usr/bin/env bash
# Services the test suite needs beyond the Rust toolchain: redis-server (and the
# redis-cli that comes with it, which builds the test cluster) for the Redis
# tests (`cargo test -p portcullis-tower --features redis-tests --test redis`,
# `cargo test -p portcullis-redis --features redis-tests`).
# Idempotent: does nothing when redis-server is already installed.
set -euo pipefail

if command -v redis-server >/dev/null 2>&1 && command -v redis-cli >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
    SUDO=sudo
else
    SUDO=
fi
echo "installing redis-server"
export DEBIAN_FRONTEND=noninteractive
# Bounded: a stalled mirror fails the run instead of hanging it.
timeout 600 $SUDO apt-get update -qq >/dev/null
timeout 600 $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package may start a system-wide instance; the tests start their own.
command -v redis-server >/dev/null
command -v redis-cli >/dev/null
