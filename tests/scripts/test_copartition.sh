#!/usr/bin/env bash
# cdrwarnd refuses to start, with a clear message and exit 1, when its input
# topics have different partition counts (SPEC section 3).
# Args: DAEMON DEVBROKER CONFIG_DIR
set -euo pipefail
daemon=$1 devbroker=$2 confdir=$3
work=$(mktemp -d)
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"$devbroker" --port 0 --topic cdr:4 --topic billing:2 --topic crm:4 --topic churn-alerts:1 \
  --topic cdrwarn-dlq:1 >"$work/broker.out" 2>"$work/broker.log" </dev/null &
broker_pid=$!
for _ in $(seq 100); do grep -q ':' "$work/broker.out" 2>/dev/null && break; sleep 0.1; done
brokers=$(head -1 "$work/broker.out")
[ -n "$brokers" ] || { echo "devbroker did not start"; exit 1; }

# shellcheck source=tools/lib.sh
source "$(dirname "$0")/../../tools/lib.sh"
port=$(cw_free_port)
sed -e "s|^brokers .*|brokers = $brokers|" -e "s|^listen .*|listen = 127.0.0.1:$port|" \
    -e "s|= *\([a-z_]*\.txt\)|= $confdir/\1|" "$confdir/cdrwarn.conf" >"$work/cdrwarn.conf"
status=0
timeout 60 "$daemon" -c "$work/cdrwarn.conf" 2>"$work/daemon.log" || status=$?
if [ "$status" -ne 1 ]; then
  echo "expected exit 1, got $status"
  cat "$work/daemon.log"
  exit 1
fi
grep -q "not co-partitioned: cdr has 4 partitions but billing has 2" "$work/daemon.log" || {
  echo "no clear message:"
  cat "$work/daemon.log"
  exit 1
}
echo "refused as expected"
