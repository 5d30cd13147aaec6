#!/usr/bin/env bash
# The cdrwarn benchmark (issue 6): builds a Release tree in build/bench,
# starts redis-server and cdrwarn-devbroker on free loopback ports in a temp
# dir, loads a seeded data set, measures the two ceilings (a do-nothing Kafka
# consumer, redis-benchmark) and cdrwarnd over the same data (K instances in
# one group), then alert latency at a steady offered load, and prints one
# table. Every wait is bounded; everything started is stopped on exit or
# Ctrl-C. See bench/README.md.
#   bash bench/run.sh [--subscribers N] [--events E] [--partitions P]
#                     [--instances K] [--cluster M] [--out FILE] [--help]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

subscribers=200000
events=1000000
partitions=32
instances=1
cluster=0
cluster_replicas=0
weeks=3
seed=1
out=
kv_out=
latency=1
ceilings=1
rate=20000
probe_s=25
probe_interval_ms=50
aof=everysec
fetch_wait_ms=10
keep=0
callgrind=0
build=1
rev=
daemon_props=()
conf_sets=()

usage() {
    cat <<'USAGE'
usage: bash bench/run.sh [options]

  --subscribers N      subscribers in the data set (default 200000)
  --events E           events in the data set (default 1000000)
  --partitions P       partitions of every topic (default 32; cdrwarn-devbroker
                       keeps ~5 MiB per partition: about 1M events per 32)
  --instances K        cdrwarnd instances in one consumer group (default 1)
  --cluster M          a Redis Cluster of M masters (M >= 3, no replicas; each
                       with the --aof setting) instead of one redis-server:
                       cluster = yes in the daemons' config, Redis's CPU and
                       memory reported per node too, no redis-benchmark
                       ceiling
  --cluster-replicas R replicas per master with --cluster (default 0; with
                       --set min_replicas_acked=N the cost of WAIT shows)
  --weeks W            weeks of traffic (default 3)
  --seed S             generator seed (default 1; the latency phase uses S+1000)
  --out FILE           also append the table to FILE
  --kv FILE            also append every raw key=value measurement to FILE
  --rate EPS           offered load of the latency phase (default 20000)
  --probe-seconds S    how long probes are sent (default 25; one every 50 ms)
  --no-latency         skip the latency phase
  --no-ceilings        skip the plain-consumer and redis-benchmark ceilings
  --aof MODE           Redis appendfsync: everysec (default), always, or no
                       (AOF off)
  --fetch-wait-ms MS   pass property.fetch.wait.max.ms = MS to cdrwarnd
                       (default 10; 'default' leaves librdkafka's 500). The
                       mock broker holds an empty fetch for the whole wait even
                       when records arrive meanwhile (a real broker answers at
                       once), which would add up to 500 ms to alert latency
  --rev REV            measure commit REV: cdrwarnd, cdrwarn-devbroker and
                       cdrwarn-gen are built from a clean export of REV (git
                       archive) in build/bench/rev-SHA; the bench tools come
                       from the working tree. Default: the working tree
  --property KEY=VALUE add "property.KEY = VALUE" to cdrwarnd's [kafka] section
                       (repeatable; for experiments with librdkafka settings)
  --set KEY=VALUE      set a key of config/cdrwarn.conf in cdrwarnd's config
                       (repeatable), e.g. --set max_in_flight=50000
  --no-build           use build/bench as it is
  --keep               keep the temp dir (logs, configs) even on success
  --callgrind          run redis-server and cdrwarnd under valgrind's callgrind
                       and report the instructions each spent per event (exact
                       and repeatable on a busy host, unlike CPU time); implies
                       --no-latency --no-ceilings; use a small data set, e.g.
                       --events 100000 --subscribers 20000 (~50x slower)
USAGE
}

while (($#)); do
    case $1 in
    --subscribers) subscribers=$2; shift ;;
    --events) events=$2; shift ;;
    --partitions) partitions=$2; shift ;;
    --instances) instances=$2; shift ;;
    --cluster) cluster=$2; shift ;;
    --cluster-replicas) cluster_replicas=$2; shift ;;
    --weeks) weeks=$2; shift ;;
    --seed) seed=$2; shift ;;
    --out) out=$2; shift ;;
    --kv) kv_out=$2; shift ;;
    --rate) rate=$2; shift ;;
    --probe-seconds) probe_s=$2; shift ;;
    --no-latency) latency=0 ;;
    --no-ceilings) ceilings=0 ;;
    --aof) aof=$2; shift ;;
    --fetch-wait-ms) fetch_wait_ms=$2; shift ;;
    --no-build) build=0 ;;
    --set)
        [[ $2 =~ ^[a-z_]+=.*$ ]] && grep -q "^${2%%=*} " config/cdrwarn.conf ||
            { echo "bench: --set: expected KEY=VALUE with a key of config/cdrwarn.conf" >&2; exit 2; }
        conf_sets+=("$2"); shift ;;
    --rev) rev=$2; shift ;;
    --property)
        [[ $2 == *=* ]] || { echo "bench: --property: expected KEY=VALUE" >&2; exit 2; }
        daemon_props+=("$2"); shift ;;
    --keep) keep=1 ;;
    --callgrind) callgrind=1; latency=0; ceilings=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
for v in subscribers events partitions instances weeks seed rate probe_s; do
    [[ ${!v} =~ ^[0-9]+$ && ${!v} -gt 0 ]] || { echo "bench: --${v//_/-} must be a positive integer" >&2; exit 2; }
done
[[ $fetch_wait_ms == default || $fetch_wait_ms =~ ^[0-9]+$ ]] || { echo "bench: --fetch-wait-ms: milliseconds or 'default'" >&2; exit 2; }
case $aof in everysec | always | no) ;; *) echo "bench: --aof: everysec, always or no" >&2; exit 2 ;; esac
((instances <= 16)) || { echo "bench: at most 16 instances" >&2; exit 2; }
[[ $cluster =~ ^[0-9]+$ ]] && { ((cluster == 0)) || ((cluster >= 3 && cluster <= 8)); } ||
    { echo "bench: --cluster: 3 to 8 masters" >&2; exit 2; }
[[ $cluster_replicas =~ ^[0-2]$ ]] || { echo "bench: --cluster-replicas: 0 to 2" >&2; exit 2; }
((cluster)) && ceilings_redis=0 || ceilings_redis=1

calc() { awk "BEGIN { printf \"%.${2:-1}f\", $1 }"; } # calc EXPR [DECIMALS]
say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# ---- build ----
bin=$repo/build/bench          # the product's binaries
tools_bin=$repo/build/bench    # the bench tools
if [[ -n $rev ]]; then
    sha=$(git -C "$repo" rev-parse --short --verify "$rev^{commit}") ||
        { echo "bench: --rev $rev: no such commit" >&2; exit 2; }
    bin=$repo/build/bench/rev-$sha
fi
if ((build)); then
    say "building the bench tools (Release) in build/bench"
    targets=(cwbench-e2e cwbench-consume cwbench-probe)
    [[ -z $rev ]] && targets+=(cdrwarnd cdrwarn-devbroker cdrwarn-gen)
    cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
    cmake --build build/bench -j"$(nproc)" --target "${targets[@]}" >/dev/null
    # a commit never changes: built once, reused
    if [[ -n $rev && ! -f $bin/.built ]]; then
        say "building commit $sha (Release, clean export) in build/bench/rev-$sha"
        rm -rf "$bin/src"
        mkdir -p "$bin/src"
        git -C "$repo" archive "$sha" | tar -x -C "$bin/src"
        cmake -S "$bin/src" -B "$bin" -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
        cmake --build "$bin" -j"$(nproc)" --target cdrwarnd cdrwarn-devbroker cdrwarn-gen >/dev/null
        touch "$bin/.built"
    fi
fi
for b in "$bin"/daemon/cdrwarnd "$bin"/tools/cdrwarn-devbroker "$bin"/tools/cdrwarn-gen \
    "$tools_bin"/bench/cwbench-e2e "$tools_bin"/bench/cwbench-consume "$tools_bin"/bench/cwbench-probe; do
    [[ -x $b ]] || { echo "bench: $b missing (run without --no-build)" >&2; exit 1; }
done
if ((callgrind)); then
    command -v valgrind >/dev/null || { echo "bench: valgrind not found (bash tools/setup-debian.sh)" >&2; exit 1; }
fi
for tool in redis-server redis-cli redis-benchmark curl timeout setsid; do
    command -v "$tool" >/dev/null || { echo "bench: $tool not found (bash tools/setup-debian.sh)" >&2; exit 1; }
done

# ---- processes: started in their own sessions (Ctrl-C reaches only this
# script), stopped newest first so the daemons go while Redis and the broker
# are still up ----
work=$(mktemp -d /tmp/cdrwarn-bench.XXXXXX)
kv=$work/results.kv
: >"$kv"
pids=()
failed=1
cleanup() {
    local rc=$?
    trap - INT TERM EXIT
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        stop_pid "${pids[i]}"
    done
    if ((failed || keep)); then
        say "logs and configs kept in $work"
    else
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'say interrupted; exit 130' INT TERM

stop_pid() { # stop_pid PID [SECONDS]: TERM, up to 15 s (or SECONDS), then KILL
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq $((${2:-15} * 10))); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# shellcheck source=tools/lib.sh
source "$repo/tools/lib.sh"
CW_WHO=bench
free_port() { cw_free_port; }
wait_for() { cw_wait_for "$@" || { echo "bench: logs in $work" >&2; return 1; }; }

kvget() { grep "^$1=" "$kv" | tail -1 | cut -d= -f2-; }
kvput() { echo "$1=$2" >>"$kv"; }

metrics_sum() { # metrics_sum METRIC: summed over the daemon instances
    local sum=0 port v
    for port in "${http_ports[@]}"; do
        v=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/metrics" |
            awk -v m="$1" '$1 == m || index($1, m "{") == 1 { s += $NF } END { printf "%.0f", s }')
        sum=$((sum + ${v:-0}))
    done
    echo "$sum"
}

# ---- Redis: one server, or the masters of a cluster ----
redis_ports=()
redis_pids=()
aof_args=(--appendonly no)
[[ $aof != no ]] && aof_args=(--appendonly yes --appendfsync "$aof")
for ((i = 0; i < (cluster ? cluster * (1 + cluster_replicas) : 1); i++)); do
    port=$(free_port)
    dir=$work
    args=(--port "$port" --bind 127.0.0.1 --save '' --daemonize no "${aof_args[@]}")
    if ((cluster)); then
        dir=$work/node-$i
        mkdir -p "$dir"
        args+=(--cluster-enabled yes --cluster-config-file "$dir/nodes.conf"
            --cluster-port "$(free_port)" --cluster-node-timeout 5000)
    fi
    redis_cmd=(redis-server)
    ((callgrind)) && redis_cmd=(valgrind --tool=callgrind "--callgrind-out-file=$work/callgrind.redis-$port" redis-server)
    setsid "${redis_cmd[@]}" "${args[@]}" --dir "$dir" >"$work/redis-$i.log" 2>&1 </dev/null &
    redis_pids+=($!)
    pids+=($!)
    redis_ports+=("$port")
    wait_for $((callgrind ? 60 : 10)) "redis-server start" redis-cli -p "$port" ping
done
redis_port=${redis_ports[0]}
redis_pid=${redis_pids[0]}
if ((cluster)); then
    say "creating a Redis Cluster of $cluster masters, $cluster_replicas replica(s) each"
    nodes=()
    for port in "${redis_ports[@]}"; do nodes+=("127.0.0.1:$port"); done
    timeout --foreground 60 redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$cluster_replicas" \
        --cluster-yes >"$work/cluster-create.log" 2>&1 ||
        { echo "bench: redis-cli --cluster create failed (see $work/cluster-create.log)" >&2; exit 1; }
    for port in "${redis_ports[@]}"; do
        wait_for 30 "cluster_state:ok" bash -c "redis-cli -p $port cluster info | grep -q cluster_state:ok"
    done
    # the masters are measured (their replicas' CPU shows as noise); the
    # daemons are given the first one
    masters=()
    for port in "${redis_ports[@]}"; do
        [[ $(redis-cli -p "$port" role | head -1) == master ]] && masters+=("$port")
    done
    if ((cluster_replicas)); then
        wait_for 30 "replicas in sync" bash -c "for p in ${redis_ports[*]}; do redis-cli -p \$p role | head -1 | grep -q master && continue; redis-cli -p \$p info replication | grep -q master_link_status:up || exit 1; done"
    fi
    master_pids=()
    for ((i = 0; i < ${#redis_ports[@]}; i++)); do
        [[ " ${masters[*]} " == *" ${redis_ports[i]} "* ]] && master_pids+=("${redis_pids[i]}")
    done
    redis_ports=("${masters[@]}")
    redis_pids=("${master_pids[@]}")
fi
used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1 == "used_memory" { print $2 }'; }

# ---- broker ----
topics=(cdr billing crm)
topic_args=()
for t in "${topics[@]}" churn-alerts cdrwarn-dlq churn-outcomes churn-scores; do topic_args+=(--topic "$t:$partitions"); done
setsid "$bin/tools/cdrwarn-devbroker" --port 0 "${topic_args[@]}" >"$work/broker.out" \
    2>"$work/broker.log" </dev/null &
broker_pid=$!
pids+=("$broker_pid")
wait_for 30 "cdrwarn-devbroker start" grep -q ':' "$work/broker.out"
brokers=$(head -1 "$work/broker.out")
topic_list=$(IFS=,; echo "${topics[*]}")

# ---- the data set, loaded before anything reads it ----
say "loading $events events for $subscribers subscribers, $weeks weeks, $partitions partitions"
load_start=$(date +%s.%N)
timeout --foreground 600 "$bin/tools/cdrwarn-gen" --brokers "$brokers" --subscribers "$subscribers" \
    --events "$events" --weeks "$weeks" --seed "$seed" 2>"$work/gen-load.log" ||
    { echo "bench: loading failed:" >&2; tail -5 "$work/gen-load.log" >&2; exit 1; }
kvput load_s "$(calc "$(date +%s.%N) - $load_start" 3)"

# ---- ceiling 1: a consumer that does nothing per record ----
if ((ceilings)); then
    say "Kafka ceiling: plain consumer over the same records"
    timeout --foreground 400 "$tools_bin/bench/cwbench-consume" --brokers "$brokers" --topics "$topic_list" \
        --timeout 300 --out "$kv" >/dev/null 2>"$work/consume.log" ||
        { echo "bench: the plain consumer failed:" >&2; cat "$work/consume.log" >&2; exit 1; }
fi

# ---- cdrwarnd ----
# the example config and number plans of the commit measured
config_dir=$repo/config
[[ -n $rev ]] && config_dir=$bin/src/config
redis_mem_before=0
for ((i = 0; i < ${#redis_ports[@]}; i++)); do
    mem=$(used_memory "${redis_ports[i]}")
    kvput "redis_node${i}_used_memory_before" "$mem"
    redis_mem_before=$((redis_mem_before + mem))
done
kvput redis_used_memory_before "$redis_mem_before"
http_ports=()
daemon_pids=()
metrics_addrs=()
for ((k = 0; k < instances; k++)); do
    http_ports+=("$(free_port)")
    conf=$work/cdrwarn-$k.conf
    sed -e "s|^brokers .*|brokers = $brokers|" \
        -e "s|^port .*|port = $redis_port|" \
        -e "s|^cluster .*|cluster = $( ((cluster)) && echo yes || echo no)|" \
        -e "s|^listen .*|listen = 127.0.0.1:${http_ports[k]}|" \
        -e "s|^weeks_kept .*|weeks_kept = 9|" \
        -e "s|= *\([a-z_]*\.txt\)|= $config_dir/\1|" \
        "$config_dir/cdrwarn.conf" >"$conf"
    if [[ $fetch_wait_ms != default ]]; then
        sed -i "/^\[kafka\]/a property.fetch.wait.max.ms = $fetch_wait_ms" "$conf"
    fi
    for set in "${conf_sets[@]}"; do
        sed -i "s|^${set%%=*} .*|${set%%=*} = ${set#*=}|" "$conf"
    done
    for prop in "${daemon_props[@]}"; do
        sed -i "/^\[kafka\]/a property.${prop%%=*} = ${prop#*=}" "$conf"
    done
    "$bin/daemon/cdrwarnd" -c "$conf" --check-config >/dev/null
done
# [kafka]'s: [console] has a group_id too
group_id=$(awk '/^\[/ { section = $1 } section == "[kafka]" && $1 == "group_id" { print $3; exit }' "$work/cdrwarn-0.conf")
say "starting $instances cdrwarnd instance(s)"
for ((k = 0; k < instances; k++)); do
    daemon_cmd=("$bin/daemon/cdrwarnd")
    ((callgrind)) && daemon_cmd=(valgrind --tool=callgrind "--callgrind-out-file=$work/callgrind.cdrwarnd-$k" "$bin/daemon/cdrwarnd")
    setsid "${daemon_cmd[@]}" -c "$work/cdrwarn-$k.conf" 2>"$work/cdrwarnd-$k.log" </dev/null &
    daemon_pids+=($!)
    pids+=($!)
    metrics_addrs+=("127.0.0.1:${http_ports[k]}")
done
redis_others=()
for ((i = 0; i < ${#redis_pids[@]}; i++)); do
    name=redis
    ((cluster)) && name=redis$i
    redis_others+=(--other "$name:${redis_pids[i]}")
done
say "measuring: first record consumed to last offset committed"
timeout --foreground 900 "$tools_bin/bench/cwbench-e2e" --brokers "$brokers" --group "$group_id" --topics "$topic_list" \
    --metrics "$(IFS=,; echo "${metrics_addrs[*]}")" --pids "$(IFS=,; echo "${daemon_pids[*]}")" \
    --redis-port "$(IFS=,; echo "${redis_ports[*]}")" --other "broker:$broker_pid" "${redis_others[@]}" --timeout 600 --settle 60 --out "$kv" >/dev/null \
    2>"$work/e2e.log" ||
    { echo "bench: the end-to-end measurement failed:" >&2; cat "$work/e2e.log" >&2; exit 1; }
# where Redis spent its time: the top commands by total microseconds (over
# every node of a cluster), and each node's commit scripts
for ((i = 0; i < ${#redis_ports[@]}; i++)); do
    redis-cli -p "${redis_ports[i]}" info commandstats | tr -d '\r' >"$work/redis-commandstats-$i.txt"
    kvput "redis_node${i}_commits" "$(awk -F'[:,=]' '/^cmdstat_(evalsha|eval):/ { n += $3 } END { print n + 0 }' \
        "$work/redis-commandstats-$i.txt")"
done
kvput redis_top_commands "$(cat "$work"/redis-commandstats-*.txt | awk -F'[:,=]' '/^cmdstat_/ {
        name = substr($1, 9); usec[name] += $5; calls[name] += $3 }
    END { for (n in usec) printf "%d %s %d x %.1f us\n", usec[n], n, calls[n], usec[n] / calls[n] }' |
    sort -rn | head -4 | cut -d' ' -f2- | paste -sd';' | sed 's/;/; /g')"
# how much of the states came from the daemons' state caches
kvput state_cache_hits "$(metrics_sum cdrwarn_state_cache_hits_total)"
kvput state_cache_misses "$(metrics_sum cdrwarn_state_cache_misses_total)"
kvput state_cache_bytes "$(metrics_sum cdrwarn_state_cache_bytes)"
# more assignments than instances: the group rebalanced during the run
kvput group_assignments "$(cat "$work"/cdrwarnd-*.log | grep -c 'kafka: assigned' || true)"

# ---- alert latency at a steady offered load ----
if ((latency)); then
    # The load is one fresh week for fresh subscribers (seed S+1000): the week
    # before the current one, which the data set's closing events left open.
    # Probe events are dated in that week too (its end - 1 min): a wall-clock
    # date would close every partition's weeks and start a week-close sweep
    # of all subscribers, which is not the steady state being measured.
    now_s=$(date +%s)
    off_s=$((8 * 3600))
    local_day=$(((now_s + off_s) / 86400))
    monday=$((local_day - (local_day + 3) % 7))
    week_start=$(date -u -d "@$(((monday - 7) * 86400))" +%F)
    probe_ts=$(((monday * 86400 - off_s) * 1000 - 60000))
    gen_s=$((probe_s + 12))
    load_subs=$((subscribers / 2 > 1000 ? subscribers / 2 : 1000))
    say "latency: $rate events/s for ${gen_s}s (week of $week_start, $load_subs fresh subscribers), probes every ${probe_interval_ms} ms for ${probe_s}s"
    setsid timeout $((gen_s + 120)) "$bin/tools/cdrwarn-gen" --brokers "$brokers" \
        --subscribers "$load_subs" --events $((rate * gen_s)) --weeks 1 --start "$week_start" \
        --seed $((seed + 1000)) --rate "$rate" --no-close 2>"$work/gen-rate.log" </dev/null &
    gen_pid=$!
    pids+=("$gen_pid")
    sleep 4
    consumed_before=$(metrics_sum cdrwarn_records_consumed_total)
    t_before=$(date +%s.%N)
    timeout --foreground $((probe_s + 60)) "$tools_bin/bench/cwbench-probe" --brokers "$brokers" \
        --interval-ms "$probe_interval_ms" --duration "$probe_s" --wait 10 \
        --event-ts "$probe_ts" --out "$kv" >/dev/null 2>"$work/probe.log" ||
        { echo "bench: the probe failed:" >&2; cat "$work/probe.log" >&2; exit 1; }
    consumed_after=$(metrics_sum cdrwarn_records_consumed_total)
    kvput latency_consumed_per_s "$(calc "($consumed_after - $consumed_before) / ($(date +%s.%N) - $t_before)" 0)"
    kvput latency_lag_after "$(metrics_sum cdrwarn_consumer_lag)"
    for _ in $(seq 1200); do kill -0 "$gen_pid" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$gen_pid"
    kvput latency_offered_per_s "$(grep -o '[0-9]* events/s' "$work/gen-rate.log" | cut -d' ' -f1)"
    hwm=0
    for pid in "${daemon_pids[@]}"; do
        v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
        ((v > hwm)) && hwm=$v
    done
    kvput daemon_hwm_kb_after_latency "$hwm"
fi

# ---- ceiling 2: redis-benchmark on the same redis-server, daemons stopped ----
for pid in "${daemon_pids[@]}"; do stop_pid "$pid" $((callgrind ? 120 : 15)); done
if ((callgrind)); then
    # instructions per event: callgrind writes its totals when the process ends
    for pid in "${redis_pids[@]}"; do stop_pid "$pid" 120; done
    ir_total() { awk '/^(summary|totals):/ { print $2; exit }' "$1"; }
    records_n=$(kvget records)
    r_ir=0  # over the masters of a cluster
    for port in "${redis_ports[@]}"; do r_ir=$((r_ir + $(ir_total "$work/callgrind.redis-$port"))); done
    kvput redis_ir_per_event "$(calc "$r_ir / $records_n" 0)"
    d_ir=0
    for ((k = 0; k < instances; k++)); do d_ir=$((d_ir + $(ir_total "$work/callgrind.cdrwarnd-$k"))); done
    kvput daemon_ir_per_event "$(calc "$d_ir / $records_n" 0)"
    # the functions with the most instructions of their own
    for who in "redis-$redis_port" cdrwarnd-0; do
        callgrind_annotate --threshold=99 "$work/callgrind.$who" 2>/dev/null |
            awk '/file:function/ { go = 1; next } go && $1 ~ /^[0-9,]+$/' | head -12 >"$work/callgrind-top.$who.txt" || true
    done
fi
if ((ceilings && ceilings_redis)); then
    say "Redis ceiling: redis-benchmark -t set,get -n 2000000 -P 64"
    timeout --foreground 300 redis-benchmark -p "$redis_port" -t set,get -n 2000000 -P 64 -q 2>&1 |
        tr '\r' '\n' | grep 'requests per second' >"$work/redis-benchmark.txt" || true
    kvput redis_set_ops "$(awk '/^SET:/ { print int($2) }' "$work/redis-benchmark.txt")"
    kvput redis_get_ops "$(awk '/^GET:/ { print int($2) }' "$work/redis-benchmark.txt")"
fi

# ---- the table ----
f() { LC_ALL=C printf "%'.0f" "$1"; }
records=$(kvget records)
eps=$(kvget events_per_s)
e2e_s=$(kvget e2e_s)
d_us=$(kvget daemon_cpu_us_per_event)
r_us=$(kvget redis_cpu_us_per_event)
mem_after=$(kvget redis_used_memory)
mem_per_sub=$(((mem_after - redis_mem_before) / subscribers))
hwm_mb=$(calc "$(kvget daemon_hwm_kb_max) / 1024")
kvput redis_bytes_per_subscriber "$mem_per_sub"
kvput daemon_hwm_mb "$hwm_mb"
if [[ -n $rev ]]; then
    commit="$sha (clean export, --rev)"
else
    commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
    [[ -n $(git -C "$repo" status --porcelain 2>/dev/null) ]] && commit="$commit dirty"
fi
kvput commit "$commit"

table=$work/table.txt
{
    echo "cdrwarn bench, $(date -u +'%Y-%m-%d %H:%M UTC'), commit $commit"
    echo "data: $(f "$records") records, $subscribers subscribers, $weeks weeks, seed $seed; $partitions partitions; $instances cdrwarnd instance(s); Redis $( ((cluster)) && echo "Cluster of $cluster masters, $cluster_replicas replica(s) each" || echo "one server"), AOF $aof; cdrwarnd property.fetch.wait.max.ms $fetch_wait_ms${daemon_props[*]:+; cdrwarnd property ${daemon_props[*]}}${conf_sets[*]:+; config ${conf_sets[*]}}"
    echo
    row() { printf '| %-48s | %22s | %-7s |\n' "$1" "$2" "$3"; }
    row "measure" "value" "target"
    printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..50})" "$(printf -- '-%.0s' {1..24})" "$(printf -- '-%.0s' {1..9})"
    row "end-to-end events/s (1st consumed..committed)" "$(f "$eps")" ">= 150k"
    row "  wall s: committed (all consumed, lag 0)" "$e2e_s ($(kvget consumed_s), $(kvget applied_s))" ""
    row "daemon CPU per event, us (user+sys)" "$d_us" "<= 5"
    row "Redis CPU per event, us" "$r_us" ""
    row "  both incl. tail after commit ($(kvget tail_s) s), us" "$(kvget daemon_cpu_incl_tail_us_per_event) / $(kvget redis_cpu_incl_tail_us_per_event)" ""
    row "daemon peak RSS (VmHWM), MB" "$hwm_mb" "< 64"
    [[ -n $(kvget daemon_hwm_kb_after_latency) ]] &&
        row "  after the latency phase, MB" "$(calc "$(kvget daemon_hwm_kb_after_latency) / 1024")" ""
    row "Redis used_memory per subscriber, B" "$mem_per_sub" "<= 512"
    if ((cluster)); then
        for ((i = 0; i < cluster; i++)); do
            node_mem=$(($(kvget "redis_node${i}_used_memory") - $(kvget "redis_node${i}_used_memory_before")))
            row "  node $i: CPU us/event, MB used, commits" "$(kvget "redis_node${i}_cpu_us_per_event") / $(calc "$node_mem / 1048576") / $(f "$(kvget "redis_node${i}_commits")")" ""
        done
    fi
    row "  used_memory before / after, MB" "$(calc "$redis_mem_before / 1048576") / $(calc "$mem_after / 1048576")" ""
    if ((latency)); then
        row "alert latency p50, ms" "$(kvget alert_p50_ms)" ""
        row "alert latency p99, ms" "$(kvget alert_p99_ms)" "< 100"
        row "  p90 / max, ms" "$(kvget alert_p90_ms) / $(kvget alert_max_ms)" ""
        row "  probes sent / alerts received" "$(kvget probes) / $(kvget probe_alerts)" ""
        row "  offered / consumed events/s" "$(f "$(kvget latency_offered_per_s)") / $(f "$(kvget latency_consumed_per_s)")" "20k"
        row "  probe produce->broker ack p50, ms" "$(kvget probe_ack_p50_ms)" ""
    fi
    if ((ceilings && ceilings_redis)); then
        c_eps=$(kvget consume_events_per_s)
        set_ops=$(kvget redis_set_ops)
        get_ops=$(kvget redis_get_ops)
        row "ceiling: plain consumer, events/s" "$(f "$c_eps")" ""
        row "  cdrwarnd / plain consumer" "$(calc "100 * $eps / $c_eps") %" ""
        row "ceiling: redis-benchmark -P 64 SET / GET ops/s" "$(f "$set_ops") / $(f "$get_ops")" ""
        row "  Redis cost per event, in pipelined SETs" "$(calc "$r_us * $set_ops / 1000000")" ""
        row "  Redis-bound rate (1e6 / Redis us per event)" "$(f "$(calc "1000000 / $r_us" 0)")" ""
        row "  cdrwarnd / Redis-bound rate (= Redis busy)" "$(calc "100 * $eps * $r_us / 1000000") %" ""
    fi
    if ((callgrind)); then
        row "Redis instructions per event (callgrind)" "$(f "$(kvget redis_ir_per_event)")" ""
        row "daemon instructions per event (callgrind)" "$(f "$(kvget daemon_ir_per_event)")" ""
    fi
    row "daemon-CPU-bound rate (1e6 / daemon us/event)" "$(f "$(calc "1000000 / $d_us" 0)")" ""
    row "cores busy: daemon / Redis / broker" "$(calc "$(kvget daemon_cpu_s) / $e2e_s" 2) / $(calc "$(kvget redis_cpu_s) / $e2e_s" 2) / $(calc "$(kvget broker_cpu_s) / $e2e_s" 2)" ""
    row "  other processes on the host (noise)" "$(kvget background_cores)" "~0"
    cache_lookups=$(($(kvget state_cache_hits) + $(kvget state_cache_misses)))
    ((cache_lookups > 0)) &&
        row "state cache: hits / MB held" "$(calc "100 * $(kvget state_cache_hits) / $cache_lookups") % / $(calc "$(kvget state_cache_bytes) / 1048576")" ""
    row "batches: count / records per batch / mean ms" "$(kvget batches) / $(kvget records_per_batch) / $(kvget batch_latency_mean_ms)" ""
    row "alerts / DLQ records" "$(kvget alerts) / $(kvget dlq)" ""
    row "group assignments (> instances: rebalanced)" "$(kvget group_assignments)" "$instances"
    echo
    echo "Redis commands by time (calls x us per call; a script's calls count in their own rows too): $(kvget redis_top_commands)"
    if ((callgrind)); then
        echo; echo "Redis, instructions by function (own cost):"; cat "$work/callgrind-top.redis-$redis_port.txt"
        echo; echo "cdrwarnd, instructions by function (own cost):"; cat "$work/callgrind-top.cdrwarnd-0.txt"
    fi
    echo "machine: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores, $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM; $(uname -r); redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -d= -f2), librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo '?')"
} >"$table"
cat "$table"
[[ -n $out ]] && cat "$table" >>"$out"
[[ -n $kv_out ]] && { echo "# run $(date -u +%FT%TZ) subscribers=$subscribers events=$events partitions=$partitions instances=$instances cluster=$cluster replicas=$cluster_replicas"; cat "$kv"; } >>"$kv_out"
failed=0
