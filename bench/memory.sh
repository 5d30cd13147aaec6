#!/usr/bin/env bash
# Redis bytes per subscriber with seven active months of the monthly model
# (issue 17.2): generates a history of seven calendar months (cdrwarn-gen
# --model full, 30 weeks), applies it with the daemon's lib code and writes
# the states of the subscribers with seven active months to a throwaway
# redis-server, in the previous state format (codec version 1, weeks only)
# and in the current one (version 2, weeks and months), and prints the
# growth per subscriber: encoded bytes, MEMORY USAGE of the key, used_memory.
# See bench/README.md; results in bench/RESULTS.md. About 20 s for 10,000
# subscribers on two cores.
#   bash bench/memory.sh [--subscribers N] [--seed S] [--out FILE] [--kv FILE] [--no-build]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

subscribers=10000
seed=1
out=
kv=
build=1
while (($#)); do
    case $1 in
    --subscribers) subscribers=$2; shift ;;
    --seed) seed=$2; shift ;;
    --out) out=$2; shift ;;
    --kv) kv=$2; shift ;;
    --no-build) build=0 ;;
    -h | --help)
        cat <<'USAGE'
usage: bash bench/memory.sh [--subscribers N] [--seed S] [--out FILE] [--kv FILE] [--no-build]

  --subscribers N   subscribers in the history (default 10000; about 1,300
                    events each over the 30 weeks)
  --seed S          generator seed (default 1)
  --out FILE        also append the table to FILE
  --kv FILE         also append the raw key=value figures to FILE
  --no-build        use build/bench as it is
USAGE
        exit 0 ;;
    *) echo "memory: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $subscribers =~ ^[1-9][0-9]*$ ]] || { echo "memory: --subscribers must be a positive integer" >&2; exit 2; }

# shellcheck source=tools/lib.sh
source tools/lib.sh
CW_WHO=memory

bin=$repo/build/bench
if ((build)); then
    cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
    cmake --build build/bench -j"$(nproc)" --target cdrwarn-gen cwbench-memory >/dev/null
fi

work=$(mktemp -d /tmp/cdrwarn-memory.XXXXXX)
redis_pid=
cleanup() {
    if [ -n "$redis_pid" ]; then
        kill -TERM "$redis_pid" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$redis_pid" 2>/dev/null || break; sleep 0.1; done
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "memory: interrupted" >&2; exit 130' INT TERM

port=$(cw_free_port)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
    >"$work/redis.log" 2>&1 &
redis_pid=$!
cw_wait_for 10 "redis-server start" redis-cli -p "$port" ping

# the example config and number plan, as the daemon would load them
sed -e "s|= *\([a-z_]*\.txt\)|= $repo/config/\1|" config/cdrwarn.conf >"$work/cdrwarn.conf"

table=$("$bin/tools/cdrwarn-gen" --stdout --model full --subscribers "$subscribers" \
            --start 2025-09-01 --seed "$seed" --partitions 32 --quiet |
        "$bin/bench/cwbench-memory" --redis "127.0.0.1:$port" --config "$work/cdrwarn.conf" \
            --subscribers "$subscribers" ${kv:+--kv "$kv"})
header="Redis memory per subscriber, seven active months ($subscribers subscribers, seed $seed, $(redis-server --version | grep -o 'v=[0-9.]*'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo ' dirty'))"
printf '%s\n%s\n' "$header" "$table"
if [ -n "$out" ]; then printf '%s\n%s\n\n' "$header" "$table" >>"$out"; fi
