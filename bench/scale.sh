#!/usr/bin/env bash
# Scaling of cdrwarnd, measured: bench/run.sh's end-to-end measurement (no
# latency phase, no ceilings) for 10k, 100k and 1M subscribers at ~5 events
# per subscriber, then 1 vs 2 daemon instances in one group on the default
# data set; one summary table. Takes about 3-4 minutes on 2 cores.
#   bash bench/scale.sh [--repeat N] [--skip-1m] [--rev REV] [--no-build] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

repeat=1
skip_1m=0
build=()
rev=()
out=
while (($#)); do
    case $1 in
    --repeat) repeat=$2; shift ;;
    --skip-1m) skip_1m=1 ;;
    --no-build) build=(--no-build) ;;
    --rev) rev=(--rev "$2"); shift ;;
    --out) out=$2; shift ;;
    -h | --help)
        cat <<'USAGE'
usage: bash bench/scale.sh [--repeat N] [--skip-1m] [--rev REV] [--no-build] [--out FILE]

Runs bench/run.sh --no-latency --no-ceilings for:
  10k / 100k / 1M subscribers, 5 events each, 128 partitions, 1 instance
  (128 partitions throughout: cdrwarn-devbroker keeps ~5 MiB per partition and
  5M events need about 100)
  200k subscribers / 1M events / 32 partitions with 1 and with 2 instances
and prints one table. --repeat N runs every point N times and keeps the run
with the median events/s. --skip-1m leaves out the 1M-subscriber point;
--rev REV measures commit REV (see run.sh --help); --no-build uses the
binaries already built.
USAGE
        exit 0 ;;
    *) echo "scale: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "scale: --repeat must be a positive integer" >&2; exit 2; }

work=$(mktemp -d /tmp/cdrwarn-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT
trap 'echo "scale: interrupted" >&2; exit 130' INT TERM

points=(
    "10000 50000 128 1"
    "100000 500000 128 1"
    "1000000 5000000 128 1"
    "200000 1000000 32 1"
    "200000 1000000 32 2"
)
((skip_1m)) && unset 'points[2]'

n=0
for point in "${points[@]}"; do
    read -r subs events parts inst <<<"$point"
    for ((r = 0; r < repeat; r++)); do
        n=$((n + 1))
        echo "[scale] $subs subscribers, $events events, $parts partitions, $inst instance(s) (run $((r + 1))/$repeat)" >&2
        bash bench/run.sh "${build[@]}" "${rev[@]}" --no-latency --no-ceilings --subscribers "$subs" \
            --events "$events" --partitions "$parts" --instances "$inst" \
            --kv "$work/$subs-$inst-$r.kv" >/dev/null
        build=(--no-build)
    done
done

kv() { grep "^$2=" "$1" | tail -1 | cut -d= -f2-; }
# the run of a point with the median events/s
median_run() {
    local subs=$1 inst=$2
    for f in "$work/$subs-$inst"-*.kv; do echo "$(kv "$f" events_per_s) $f"; done |
        sort -n | awk '{ runs[NR] = $2 } END { print runs[int((NR + 1) / 2)] }'
}

table=$work/table.txt
{
    f=$(ls "$work"/*.kv | head -1)
    echo "cdrwarn scaling, $(date -u +'%Y-%m-%d %H:%M UTC'), commit $(kv "$f" commit); median of $repeat run(s) per point"
    echo
    printf '| %11s | %9s | %5s | %4s | %9s | %11s | %10s | %10s | %8s | %8s | %7s | %6s |\n' \
        subscribers events parts inst "events/s" "applied/s" "daemon us" "Redis us" "Redis B" "RSS MB" "wall s" "noise"
    printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------: -----------: -------: ------: \
        -----------: -------------: ------------: ------------: ----------: ----------: ---------: --------:
    for point in "${points[@]}"; do
        read -r subs events parts inst <<<"$point"
        f=$(median_run "$subs" "$inst")
        records=$(kv "$f" records)
        applied=$(awk "BEGIN { printf \"%.0f\", $records / $(kv "$f" applied_s) }")
        printf '| %11s | %9s | %5s | %4s | %9s | %11s | %10s | %10s | %8s | %8s | %7s | %6s |\n' \
            "$subs" "$records" "$parts" "$inst" "$(kv "$f" events_per_s)" "$applied" \
            "$(kv "$f" daemon_cpu_us_per_event)" "$(kv "$f" redis_cpu_us_per_event)" \
            "$(kv "$f" redis_bytes_per_subscriber)" "$(kv "$f" daemon_hwm_mb)" "$(kv "$f" e2e_s)" \
            "$(kv "$f" background_cores)"
    done
    echo
    echo "events/s: first record consumed to last offset committed (auto-commit runs every"
    echo "250 ms, so small sets lose up to 0.25 s); applied/s: to the daemons' lag reaching 0."
    echo "daemon us / Redis us: CPU per event. Redis B: used_memory growth per subscriber."
    echo "RSS MB: largest daemon VmHWM. noise: cores used by other processes on the host."
    echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM"
} >"$table"
cat "$table"
[[ -n $out ]] && cat "$table" >>"$out"
exit 0
