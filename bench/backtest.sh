#!/usr/bin/env bash
# The backtest's speed and memory (issue 13): cdrwarn-backtest (one thread)
# over a million generated events of three shapes, each run three times (the
# best and the median events/s), a five-value sweep, and the memory it
# holds as the subscribers grow. Builds a Release tree in build/bench; data
# in a temp dir, removed on exit. See bench/README.md.
#   bash bench/backtest.sh [--runs N] [--no-build] [--no-memory] [--out FILE]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

runs=3
build=1
memory=1
out=
while (($#)); do
    case $1 in
    --runs) runs=$2; shift ;;
    --no-build) build=0 ;;
    --no-memory) memory=0 ;;
    --out) out=$2; shift ;;
    -h | --help)
        sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'
        exit 0 ;;
    *) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
    shift
done
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive integer" >&2; exit 2; }

say() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

bin=$repo/build/bench/tools
if ((build)); then
    say "building cdrwarn-backtest and cdrwarn-gen (Release) in build/bench"
    cmake -S . -B build/bench -DCMAKE_BUILD_TYPE=Release -DCW_BUILD_TESTS=OFF >/dev/null
    cmake --build build/bench -j"$(nproc)" --target cdrwarn-backtest cdrwarn-gen >/dev/null
fi
for b in "$bin/cdrwarn-backtest" "$bin/cdrwarn-gen"; do
    [[ -x $b ]] || { echo "bench: $b is missing (run without --no-build)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/cw-bench-backtest-XXXXXX)
trap 'rm -rf "$work"' EXIT
config=$repo/config/cdrwarn.conf
gen() { # NAME ARGS...: a data set, one partition's closing event at the end
    local name=$1
    shift
    "$bin/cdrwarn-gen" --stdout --partitions 1 --quiet "$@" >"$work/$name.jsonl"
}

# One run: prints "events_per_s peak_rss_kb cpu_s subscribers state_mb".
measure() {
    local err=$work/run.err
    /usr/bin/time -f 'TIME %M %U %S' "$bin/cdrwarn-backtest" -c "$config" --json "$@" \
        >/dev/null 2>"$err"
    awk '/^cdrwarn-backtest: / { for (i = 1; i <= NF; i++) { if ($i == "events/s),") eps = $(i - 1);
                                 if ($i == "subscribers,") subs = $(i - 1); if ($i == "MB") mb = $(i - 1) } }
         /^TIME / { rss = $2; cpu = $3 + $4 }
         END { gsub(/\(/, "", eps); print eps, rss, cpu, subs, mb }' "$err"
}

# NAME LABEL ARGS...: the data set NAME run $runs times. events/s per CPU
# second (user + sys of the process) is what the tool costs; wall-clock
# events/s also counts waiting for a core, which a shared host shows.
row() {
    local name=$1 label=$2
    shift 2
    local events line per_cpu=() wall=()
    events=$(wc -l <"$work/$name.jsonl")
    for ((i = 0; i < runs; i++)); do
        line=$(measure "$@" "$work/$name.jsonl")
        read -r eps rss cpu subs mb <<<"$line"
        wall+=("$eps")
        per_cpu+=("$(awk "BEGIN { printf \"%.0f\", ($cpu > 0 ? $events * $passes / $cpu : 0) }")")
    done
    best() { printf '%s\n' "$@" | sort -n | tail -1; }
    median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
    printf '| %s | %s | %s | %.0f / %.0f | %.0f / %.0f | %s | %.1f |\n' "$label" "$events" "$subs" \
        "$(best "${per_cpu[@]}")" "$(median "${per_cpu[@]}")" "$(best "${wall[@]}")" \
        "$(median "${wall[@]}")" "$((rss / 1024))" "$mb"
}

say "generating the data sets"
gen weekly --subscribers 8000 --weeks 3 --start 2026-09-28 --seed 1
gen full --model full --subscribers 800 --start 2025-09-01 --seed 7
gen sparse --subscribers 200000 --events 1000000 --weeks 3 --start 2026-09-28 --seed 1

header=$(printf '%s\n' \
    "cdrwarn-backtest bench, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- lib tools || echo ' (dirty)')" \
    "machine: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)" \
    "" \
    "| data set | events | subscribers | events per CPU second, best / median of $runs | events/s wall clock, best / median | peak RSS MB | states MB |" \
    "|---|---:|---:|---:|---:|---:|---:|")
table=$header$'\n'
say "natural weekly traffic: 8,000 subscribers x 3 weeks"
passes=1
table+=$(row weekly "weekly, 8k subscribers, 3 weeks (~40 events a subscriber-week)")$'\n'
say "the full model: 800 subscribers x 30 weeks"
table+=$(row full "--model full, 800 subscribers, 30 weeks (monthly closes too)")$'\n'
say "sparse traffic: 200,000 subscribers x 3 weeks"
table+=$(row sparse "sparse, 200k subscribers, 3 weeks (~1.7 events a subscriber-week)")$'\n'
say "a sweep of five values over the weekly data"
passes=5
table+=$(row weekly "the weekly data, --sweep rules.spend_drop_pct=30:70:10 (5 passes; events of all)" \
    --sweep rules.spend_drop_pct=30:70:10)$'\n'

if ((memory)); then
    table+=$'\n'"| subscribers (2 events each, 1 week) | events | peak RSS MB | states MB | state bytes a subscriber |"$'\n'"|---:|---:|---:|---:|---:|"$'\n'
    for n in 10000 100000 1000000; do
        say "memory: $n subscribers"
        gen mem --subscribers "$n" --events $((2 * n)) --weeks 1 --start 2026-09-28 --seed 2 --bad-pct 0
        read -r eps rss cpu subs mb <<<"$(measure "$work/mem.jsonl")"
        table+=$(printf '| %s | %s | %s | %.1f | %.0f |' "$subs" "$(wc -l <"$work/mem.jsonl")" \
            "$((rss / 1024))" "$mb" "$(awk "BEGIN { print $mb * 1048576 / $subs }")")$'\n'
    done
fi

printf '%s' "$table"
[[ -n $out ]] && printf '%s\n' "$table" >>"$out"
exit 0
