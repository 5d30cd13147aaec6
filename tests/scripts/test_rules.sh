#!/usr/bin/env bash
# The Prometheus alerting rules (ops/prometheus): `promtool check rules` with
# every lint, their unit tests (`promtool test rules`), a test for every
# alert, and a runbook entry in the README for every alert, which each
# alert's runbook line names. Whether the metrics they query exist is
# integration.ops_dashboard. Args: SOURCE_DIR
set -euo pipefail
src=$1
dir=$src/ops/prometheus
command -v promtool >/dev/null ||
  { echo "promtool not found: apt-get install prometheus (tools/setup-debian.sh does)"; exit 1; }

promtool check rules --lint=all --lint-fatal "$dir/cdrwarn.rules.yml"
(cd "$dir" && promtool test rules cdrwarn.rules.test.yml)

failed=0
mapfile -t alerts < <(sed -n 's/^ *- alert: *//p' "$dir/cdrwarn.rules.yml")
[ ${#alerts[@]} -ge 10 ] || { echo "only ${#alerts[@]} alerts found"; exit 1; }
for alert in "${alerts[@]}"; do
  grep -q "alertname: $alert\$" "$dir/cdrwarn.rules.test.yml" ||
    { echo "$alert: no test in cdrwarn.rules.test.yml"; failed=1; }
  grep -qx "#### $alert" "$src/README.md" ||
    { echo "$alert: no '#### $alert' entry in the README's Alert runbook"; failed=1; }
  runbook=$(awk -v a="$alert" '$0 ~ "- alert: " a "$" {on=1} on && /runbook:/ {print; exit}' \
            "$dir/cdrwarn.rules.yml")
  grep -qF "README.md, Alert runbook: $alert\"" <<<"$runbook" ||
    { echo "$alert: its runbook line does not name its README entry: $runbook"; failed=1; }
done
[ $failed -eq 0 ] && echo "alerting rules verified: ${#alerts[@]} alerts"
exit $failed
