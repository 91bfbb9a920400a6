#!/usr/bin/env bash
# A long fuzzing campaign over every libFuzzer target of tests/fuzz/ (the ctests run each for 15 s).
# Builds the fuzz project with clang (as the ctest "fuzz: build the targets with clang" does) into
# build-fuzz/, then runs each target for a number of executions (-runs, default 1000000) or seconds,
# with inputs up to 1 MB, from a scratch corpus build-fuzz/corpus_<target> (given first: libFuzzer
# adds what it finds to the first folder) plus the committed seeds tests/fuzz/seeds/<target> (never
# written). Prints one line per target: executions, seconds, crashes (crash, timeout, out-of-memory
# or leak reports, saved under build-fuzz/artifacts_<target>/), and exits 1 if any target crashed.
#
#   scripts/fuzz_campaign.sh                      every target, 10^6 executions each, one at a time
#   scripts/fuzz_campaign.sh --runs 10000000 --parallel 2 --max-minutes 20
#   scripts/fuzz_campaign.sh --seconds 600 --jobs 4 lesson lesson_expression
#
# Options:
#   --runs N         executions per target (per job with --jobs), default 1000000
#   --seconds S      run each target for S seconds instead of a number of executions
#   --max-minutes M  stop a target after M minutes whatever --runs says (its executions so far are
#                    reported), default 20
#   --parallel P     run P targets at a time, default 1 (each uses one core, or J with --jobs)
#   --jobs J         libFuzzer's -jobs=J -workers=J: J fuzzing processes per target, sharing its corpus
#   --build-dir DIR  default build-fuzz (relative to the repository)
#   --no-build       use the targets already built in DIR
#   TARGET ...       only these targets (default: all, as listed in tests/fuzz/targets.cmake)
# Environment: CXX (default clang++).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

runs=1000000 seconds="" max_minutes=20 parallel=1 jobs="" build_dir=build-fuzz build=1 targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --max-minutes) max_minutes=$2; shift 2 ;;
    --parallel) parallel=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --no-build) build=""; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "fuzz_campaign: unknown option $1 (see --help)" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
for n in "$runs" "$max_minutes" "$parallel" ${seconds:+"$seconds"} ${jobs:+"$jobs"}; do
  case "$n" in ''|*[!0-9]*|0) echo "fuzz_campaign: '$n' is not a positive whole number" >&2; exit 2 ;; esac
done
case "$build_dir" in /*) ;; *) build_dir="$root/$build_dir" ;; esac
slow_targets="$(sed -n 's/^set(attnscope_fuzz_slow_targets \(.*\))$/\1/p' "$root/tests/fuzz/targets.cmake")"
if [ ${#targets[@]} -eq 0 ]; then
  read -r -a targets <<<"$(sed -n 's/^set(attnscope_fuzz_targets \(.*\))$/\1/p' tests/fuzz/targets.cmake)"
fi

if [ -n "$build" ]; then
  echo "fuzz_campaign: building the targets in $build_dir"
  cmake -S tests/fuzz -B "$build_dir" -G Ninja -DCMAKE_CXX_COMPILER="${CXX:-clang++}" >/dev/null
  cmake --build "$build_dir"
fi
for t in "${targets[@]}"; do
  [ -x "$build_dir/fuzz_$t" ] || { echo "fuzz_campaign: no target $build_dir/fuzz_$t" >&2; exit 2; }
done

# One target: run it, then write its summary line to $build_dir/campaign_<target>.summary.
run_target() {
  local t=$1 corpus="$build_dir/corpus_$t" artifacts="$build_dir/artifacts_$t" work="$build_dir/logs_$t"
  mkdir -p "$corpus" "$artifacts" "$work"
  rm -f "$work"/*.log
  local before after start end execs crashes rc=0
  before=$(find "$artifacts" -type f | wc -l)
  local limit=$((max_minutes * 60)) length=()
  if [ -n "$seconds" ]; then
    [ "$seconds" -lt "$limit" ] && limit=$seconds
  else
    length=(-runs="$runs")
  fi
  local per_input=5  # seconds; 30 for the targets tests/fuzz/targets.cmake lists as slow
  case " $slow_targets " in *" $t "*) per_input=30 ;; esac
  local parallelism=()
  [ -n "$jobs" ] && parallelism=(-jobs="$jobs" -workers="$jobs")
  start=$(date +%s.%N)
  # -max_total_time bounds the run whatever -runs says; timeout(1) is the last resort.
  (cd "$work" && timeout -s INT $((limit + 120)) "$build_dir/fuzz_$t" "${length[@]}" -max_total_time="$limit" \
     "${parallelism[@]}" -max_len=1048576 -timeout="$per_input" -rss_limit_mb=2048 -print_final_stats=1 \
     -artifact_prefix="$artifacts/" "$corpus" "$root/tests/fuzz/seeds/$t" >"$work/main.log" 2>&1) || rc=$?
  end=$(date +%s.%N)
  # With -jobs every job writes its own fuzz-N.log; the final stats give each one's executions.
  execs=$(cat "$work"/*.log | sed -n 's/^stat::number_of_executed_units: *//p' | awk '{s += $1} END {print s + 0}')
  after=$(find "$artifacts" -type f | wc -l)
  crashes=$((after - before))
  [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ] && [ "$rc" -ne 72 ] && crashes=1  # died without a report (see the log)
  printf '%-18s %12s executions %8.0f s %3d crashes (log %s)\n' "$t" "$execs" "$(awk "BEGIN {print $end - $start}")" \
         "$crashes" "${work#"$root"/}" >"$build_dir/campaign_$t.summary"
  cat "$build_dir/campaign_$t.summary"
}

echo "fuzz_campaign: ${targets[*]}: ${seconds:+$seconds s}${seconds:-$runs executions} each${jobs:+ ($jobs jobs)}, at most $max_minutes min, $parallel at a time"
running=0
for t in "${targets[@]}"; do
  rm -f "$build_dir/campaign_$t.summary"
  run_target "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$parallel" ]; then
    wait -n || true
    running=$((running - 1))
  fi
done
wait || true

echo "fuzz_campaign: summary"
status=0
for t in "${targets[@]}"; do
  if [ ! -f "$build_dir/campaign_$t.summary" ]; then
    echo "$t: no result"; status=1; continue
  fi
  line=$(cat "$build_dir/campaign_$t.summary")
  echo "$line"
  [ "$(echo "$line" | awk '{print $6}')" = "0" ] || status=1
done
[ "$status" -eq 0 ] || echo "fuzz_campaign: crashes: see build-fuzz/artifacts_<target>/ and the logs" >&2
exit "$status"
