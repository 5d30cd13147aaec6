#!/usr/bin/env bash
# Scaling of cdrwarnd, measured: bench/run.sh's end-to-end measurement (no
# latency phase, no ceilings) for 10k, 100k and 1M subscribers at ~5 events
# per subscriber, then 1 vs 2 daemon instances in one group on the default
# data set; one summary table. Takes about 3-4 minutes on 2 cores. With
# --cluster: the same data on one Redis server and on a Redis Cluster of
# three masters, with Redis's CPU and memory per node.
#   bash bench/scale.sh [--cluster] [--repeat N] [--skip-1m] [--rev REV] [--no-build] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."

repeat=1
skip_1m=0
cluster=0
build=()
rev=()
out=
while (($#)); do
    case $1 in
    --repeat) repeat=$2; shift ;;
    --skip-1m) skip_1m=1 ;;
    --cluster) cluster=1 ;;
    --no-build) build=(--no-build) ;;
    --rev) rev=(--rev "$2"); shift ;;
    --out) out=$2; shift ;;
    -h | --help)
        cat <<'USAGE'
usage: bash bench/scale.sh [--cluster] [--repeat N] [--skip-1m] [--rev REV] [--no-build] [--out FILE]

Runs bench/run.sh --no-latency --no-ceilings for:
  10k / 100k / 1M subscribers, 5 events each, 128 partitions, 1 instance
  (128 partitions throughout: cdrwarn-devbroker keeps ~5 MiB per partition and
  5M events need about 100)
  200k subscribers / 1M events / 32 partitions with 1 and with 2 instances
and prints one table. With --cluster it runs instead, on 400k subscribers /
2M events / 64 partitions with 2 instances: one redis-server, then a Redis
Cluster of 3 masters (then 1 instance on the 3 masters, and the 3 masters
with a replica each and min_replicas_acked = 1), and prints Redis's CPU per
event and memory per node. --repeat N runs every point N times and keeps the run
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

# subscribers events partitions instances masters replicas min_replicas_acked
points=(
    "10000 50000 128 1 0 0 0"
    "100000 500000 128 1 0 0 0"
    "1000000 5000000 128 1 0 0 0"
    "200000 1000000 32 1 0 0 0"
    "200000 1000000 32 2 0 0 0"
)
((skip_1m)) && unset 'points[2]'
if ((cluster)); then
    points=(
        "400000 2000000 64 2 0 0 0"
        "400000 2000000 64 2 3 0 0"
        "400000 2000000 64 1 3 0 0"
        "400000 2000000 64 2 3 1 0"
        "400000 2000000 64 2 3 1 1"
    )
fi
name_of() { echo "$1-$4-$5-$6-$7"; } # a point's runs' file name

n=0
for point in "${points[@]}"; do
    read -r subs events parts inst masters replicas acked <<<"$point"
    redis=()
    ((masters)) && redis=(--cluster "$masters" --cluster-replicas "$replicas" --set "min_replicas_acked=$acked")
    for ((r = 0; r < repeat; r++)); do
        n=$((n + 1))
        echo "[scale] $subs subscribers, $events events, $parts partitions, $inst instance(s), Redis: $( ((masters)) && echo "$masters masters, $replicas replica(s) each, min_replicas_acked $acked" || echo "one server") (run $((r + 1))/$repeat)" >&2
        bash bench/run.sh "${build[@]}" "${rev[@]}" --no-latency --no-ceilings --subscribers "$subs" \
            --events "$events" --partitions "$parts" --instances "$inst" "${redis[@]}" \
            --kv "$work/$(name_of $point)-$r.kv" >/dev/null
        build=(--no-build)
    done
done

kv() { grep "^$2=" "$1" | tail -1 | cut -d= -f2-; }
# the run of a point with the median events/s
median_run() {
    for f in "$work/$(name_of "$@")"-*.kv; do echo "$(kv "$f" events_per_s) $f"; done |
        sort -n | awk '{ runs[NR] = $2 } END { print runs[int((NR + 1) / 2)] }'
}

table=$work/table.txt
{
    f=$(ls "$work"/*.kv | head -1)
    echo "cdrwarn scaling, $(date -u +'%Y-%m-%d %H:%M UTC'), commit $(kv "$f" commit); median of $repeat run(s) per point"
    echo
    ((cluster)) || printf '| %11s | %9s | %5s | %4s | %9s | %11s | %10s | %10s | %8s | %8s | %7s | %6s |\n' \
        subscribers events parts inst "events/s" "applied/s" "daemon us" "Redis us" "Redis B" "RSS MB" "wall s" "noise"
    ((cluster)) || printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------: -----------: -------: ------: \
        -----------: -------------: ------------: ------------: ----------: ----------: ---------: --------:
    for point in "${points[@]}"; do
        ((cluster)) && break
        read -r subs events parts inst masters replicas acked <<<"$point"
        f=$(median_run $point)
        records=$(kv "$f" records)
        applied=$(awk "BEGIN { printf \"%.0f\", $records / $(kv "$f" applied_s) }")
        printf '| %11s | %9s | %5s | %4s | %9s | %11s | %10s | %10s | %8s | %8s | %7s | %6s |\n' \
            "$subs" "$records" "$parts" "$inst" "$(kv "$f" events_per_s)" "$applied" \
            "$(kv "$f" daemon_cpu_us_per_event)" "$(kv "$f" redis_cpu_us_per_event)" \
            "$(kv "$f" redis_bytes_per_subscriber)" "$(kv "$f" daemon_hwm_mb)" "$(kv "$f" e2e_s)" \
            "$(kv "$f" background_cores)"
    done
    if ((cluster)); then
        printf '| %-48s | %4s | %9s | %9s | %8s | %22s | %20s | %7s | %6s |\n' \
            Redis inst "events/s" "daemon us" "Redis us" "Redis us/event per node" "MB used per node" "Redis B" noise
        printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' -------------------------------------------------- ------: -----------: \
            -----------: ----------: ------------------------: ----------------------: ---------: --------:
        for point in "${points[@]}"; do
            read -r subs events parts inst masters replicas acked <<<"$point"
            f=$(median_run $point)
            what="one server"
            ((masters)) && what="$masters masters"
            ((replicas)) && what="$what + $replicas replica each"
            ((acked)) && what="$what, min_replicas_acked $acked"
            cpu=() mem=()
            for ((i = 0; i < $(kv "$f" redis_nodes); i++)); do
                cpu+=("$(kv "$f" "redis_node${i}_cpu_us_per_event")")
                mem+=("$(awk "BEGIN { printf \"%.0f\", ($(kv "$f" "redis_node${i}_used_memory") - $(kv "$f" "redis_node${i}_used_memory_before")) / 1048576 }")")
            done
            printf '| %-48s | %4s | %9s | %9s | %8s | %22s | %20s | %7s | %6s |\n' "$what" "$inst" \
                "$(kv "$f" events_per_s)" "$(kv "$f" daemon_cpu_us_per_event)" "$(kv "$f" redis_cpu_us_per_event)" \
                "$(IFS=/; echo "${cpu[*]}")" "$(IFS=/; echo "${mem[*]}")" \
                "$(kv "$f" redis_bytes_per_subscriber)" "$(kv "$f" background_cores)"
        done
        echo
        echo "$subs subscribers, $events events, $parts partitions. Redis us: CPU per event over"
        echo "every master, then each master's; MB used: each master's used_memory growth;"
        echo "Redis B: used_memory growth per subscriber over all masters. Replicas are not"
        echo "measured (their CPU counts in noise: cores used by other processes on the host)."
    fi
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
