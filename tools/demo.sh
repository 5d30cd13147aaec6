#!/usr/bin/env bash
# The demo: installs what cdrwarn needs, builds it, starts redis-server, the
# development Kafka broker, cdrwarnd, the retention console and the traffic
# generator on loopback, and shows alerts (coloured by level), churn outcomes
# and score records as they arrive, here and in the console's page (its
# address and a demo sign-in are printed). Ctrl-C stops it all.
# Run as root on Debian 12:  bash tools/demo.sh
# With --full: thirty weeks of traffic instead of six (the generator's
# --model full, faster), so that six whole months close and potential
# churners of the monthly model are scored too.
# With --cluster: a Redis Cluster of three masters with a replica each on
# loopback instead of one redis-server ([redis] cluster = yes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

model=weekly
cluster=no
for arg in "$@"; do
  case $arg in
    --full) model=full ;;
    --cluster) cluster=yes ;;
    *) echo "usage: bash tools/demo.sh [--full] [--cluster]" >&2; exit 2 ;;
  esac
done

bash tools/setup-debian.sh
cmake -S . -B build/demo -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
cmake --build build/demo -j"$(nproc)" >/dev/null
bin=$repo/build/demo

work=$(mktemp -d /tmp/cdrwarn-demo.XXXXXX)
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  # newest first: the daemon stops while its broker and Redis are still up
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    pid=${pids[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  echo "logs kept in $work"
}
trap cleanup INT TERM EXIT

# shellcheck source=tools/lib.sh
source tools/lib.sh
CW_WHO=demo
wait_for() { cw_wait_for "$@" || { echo "demo: logs in $work" >&2; exit 1; }; }

redis_port=$(cw_free_port)
http_port=$(cw_free_port)

# each child in its own session: Ctrl-C reaches only this script, which
# then stops them in order
if [ "$cluster" = no ]; then
  setsid redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work" --appendonly yes \
    --save '' >"$work/redis.log" 2>&1 &
  pids+=($!)
  wait_for 10 "redis-server start" redis-cli -p "$redis_port" ping
  redis_where="redis-server      127.0.0.1:$redis_port   (data in $work)"
else
  # six nodes; redis-cli makes the first three masters, each with a replica
  nodes=()
  for i in 0 1 2 3 4 5; do
    port=$redis_port
    ((i == 0)) || port=$(cw_free_port)
    mkdir -p "$work/redis-$i"
    setsid redis-server --port "$port" --bind 127.0.0.1 --dir "$work/redis-$i" --appendonly yes \
      --save '' --cluster-enabled yes --cluster-config-file "$work/redis-$i/nodes.conf" \
      --cluster-node-timeout 5000 >"$work/redis-$i.log" 2>&1 &
    pids+=($!)
    wait_for 10 "redis-server start (cluster node $i)" redis-cli -p "$port" ping
    nodes+=("127.0.0.1:$port")
  done
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$work/cluster-create.log" 2>&1 ||
    { echo "demo: redis-cli --cluster create failed (see $work/cluster-create.log)" >&2; exit 1; }
  wait_for 30 "the Redis Cluster (cluster_state:ok)" \
    bash -c "redis-cli -p $redis_port cluster info | grep -q cluster_state:ok"
  redis_where="Redis Cluster     ${nodes[*]}
                    (3 masters with a replica each; data in $work/redis-*)"
fi

setsid "$bin/tools/cdrwarn-devbroker" --port 0 --topic cdr:8 --topic billing:8 --topic crm:8 \
  --topic churn-alerts:8 --topic cdrwarn-dlq:8 --topic churn-outcomes:8 --topic churn-scores:8 \
  >"$work/broker.out" 2>"$work/broker.log" </dev/null &
pids+=($!)
wait_for 20 "cdrwarn-devbroker start" grep -q ':' "$work/broker.out"
brokers=$(head -1 "$work/broker.out")

# the console's demo accounts: one password, made here and shown once below
console_port=$(cw_free_port)
demo_password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=' | cut -c1-12)
demo_hash=$(printf '%s\n' "$demo_password" | "$bin/console/cdrwarn-console" --hash-password)
printf 'agent1:agent:%s\nagent2:agent:%s\nlead:supervisor:%s\n' \
  "$demo_hash" "$demo_hash" "$demo_hash" >"$work/console-users"
chmod 600 "$work/console-users"

# the example config, pointed at these servers and at the example number plan;
# listen (in [http] and [console]) and the console's files by section
awk -v brokers="$brokers" -v redis_port="$redis_port" -v http="127.0.0.1:$http_port" \
    -v console="127.0.0.1:$console_port" -v work="$work" -v cluster="$cluster" '
  /^\[/ { section = $1 }
  /^brokers /   { $0 = "brokers = " brokers "\nproperty.fetch.wait.max.ms = 10" }
  /^port /      { $0 = "port = " redis_port }
  /^cluster /   { $0 = "cluster = " cluster }
  /^listen / && section == "[http]"    { $0 = "listen = " http }
  /^listen / && section == "[console]" { $0 = "listen = " console }
  /^users_file / { $0 = "users_file = " work "/console-users" }
  /^audit_log /  { $0 = "audit_log = " work "/console-audit.log" }
  { print }' config/cdrwarn.conf |
  sed -e "s|= *\([a-z_]*\.txt\)|= $repo/config/\1|" >"$work/cdrwarn.conf"
"$bin/daemon/cdrwarnd" -c "$work/cdrwarn.conf" --check-config
"$bin/console/cdrwarn-console" -c "$work/cdrwarn.conf" --check-config >/dev/null

setsid "$bin/daemon/cdrwarnd" -c "$work/cdrwarn.conf" 2>"$work/cdrwarnd.log" &
pids+=($!)
wait_for 60 "cdrwarnd ready (http://127.0.0.1:$http_port/healthz)" \
  curl -fs "http://127.0.0.1:$http_port/healthz"

setsid "$bin/console/cdrwarn-console" -c "$work/cdrwarn.conf" 2>"$work/console.log" &
pids+=($!)
wait_for 60 "cdrwarn-console ready (http://127.0.0.1:$console_port/healthz)" \
  curl -fs "http://127.0.0.1:$console_port/healthz"

console_info() {
  cat <<INFO

  Retention console http://127.0.0.1:$console_port/
                    sign in as agent1 or agent2 (agents) or lead (supervisor),
                    password: $demo_password
INFO
}

cat <<INFO

  $redis_where
  Kafka (devbroker) $brokers
  cdrwarnd          http://127.0.0.1:$http_port/healthz  /metrics   log: $work/cdrwarnd.log
  cdrwarn-console   http://127.0.0.1:$console_port/   log: $work/console.log
  shown below       as they arrive, MSISDNs masked: alerts (topic churn-alerts),
                    churn outcomes (churn-outcomes), score records (churn-scores)
  the backtest      of this traffic, once it is sent:
                      $bin/tools/cdrwarn-backtest -c $work/cdrwarn.conf --brokers $brokers --partition 0
INFO
console_info
echo

setsid "$bin/tools/cdrwarn-watch" --brokers "$brokers" \
  --topic churn-alerts,churn-outcomes,churn-scores &
pids+=($!)

# six weeks of traffic for 1500 subscribers, 20 % drifting toward churn and
# most of those, and a few others, churning (--churn: their outcomes), with
# the monthly model's billing and CRM events (--monthly), replayed at 10000
# events/s; the run opens on the Monday of the week holding a month's 1st,
# so that month closes inside it and is scored (its score records: value
# churn after a plan downgrade; a potential churner needs six months of
# history, see the README's "The monthly model"); the week-closing events
# at the end close week 6
# With --full: thirty weeks for 1000 subscribers with recycled numbers and
# slow drifters (--model full), at 50000 events/s (about half a minute)
if [ "$model" = full ]; then
  traffic=(--model full --subscribers 1000 --rate 50000)
else
  traffic=(--subscribers 1500 --weeks 6 --churn --monthly --rate 10000)
fi
setsid "$bin/tools/cdrwarn-gen" --brokers "$brokers" --seed 7 "${traffic[@]}" --quiet &
gen=$!
pids+=("$gen")
wait "$gen" || true

sleep 5
echo
echo "traffic sent. cdrwarnd's counters:"
curl -fs "http://127.0.0.1:$http_port/metrics" |
  grep -E '^cdrwarn_(alerts_total|churns_total|dlq_records_total|events_total|month_closes_total|score_records_total|week_closes_total)' |
  grep -v ' 0$' | sed 's/^/  /'
console_info
echo
echo "still running: alerts, outcomes and score records keep showing above, and as cases"
echo "(weekly and monthly) in the console. Ctrl-C stops everything."
wait
