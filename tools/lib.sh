# shellcheck shell=bash
# Shell helpers shared by tools/demo.sh, bench/run.sh and the script tests.
# Source it; set CW_WHO to the caller's name for its messages.

# Prints a free loopback TCP port, below the kernel's ephemeral range so
# that no client connection takes it between this check and the bind.
cw_free_port() {
  local low span port
  read -r low _ </proc/sys/net/ipv4/ip_local_port_range
  span=$((low > 12000 ? low - 10000 : low - 1024))
  low=$((low > 12000 ? 10000 : 1024))
  for _ in $(seq 200); do
    port=$((low + RANDOM % span))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  echo "${CW_WHO:-cdrwarn}: no free port found" >&2
  return 1
}

# cw_wait_for SECONDS DESCRIPTION COMMAND...: runs COMMAND every 0.1 s until
# it succeeds; after SECONDS says that DESCRIPTION did not happen, returns 1.
cw_wait_for() {
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 10))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "${CW_WHO:-cdrwarn}: $what did not happen within ${seconds}s" >&2
  return 1
}
