#!/usr/bin/env bash
# The retention console's benchmark: builds (Release) and runs
# bench/console_bench.py against real redis-server, devbroker and
# cdrwarn-console on loopback: ingest rate with 500,000 alerts, filtered
# pages of 50 with 500,000 cases stored, 200 browsers on the live stream.
# About 5 minutes on two cores. Options through the environment:
#   CW_BENCH_CASES=500000 CW_BENCH_STREAMS=200 CW_BENCH_BURST=2000 CW_BENCH_REPEAT=50
# Run as root on Debian 12 from anywhere:  bash bench/console.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
bash tools/setup-debian.sh >/dev/null
cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
cmake --build build/bench -j"$(nproc)" --target cdrwarn-console cdrwarn-devbroker cdrwarnd >/dev/null
export CW_CONSOLE=$repo/build/bench/console/cdrwarn-console
export CW_DEVBROKER=$repo/build/bench/tools/cdrwarn-devbroker
export CW_CDRWARND=$repo/build/bench/daemon/cdrwarnd
export CW_SOURCE_DIR=$repo
echo "commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) cores"
exec /usr/bin/python3 bench/console_bench.py
