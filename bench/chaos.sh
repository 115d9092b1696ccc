#!/usr/bin/env bash
# Chaos: under verified load (two `reverb bench` runs: 16 pingpong connections and 4 churn loops, every echoed
# byte checked), SIGKILL a random server process other than the master every ~200 ms for SECONDS (process model:
# its workers, or forker and children; workers model: the workers; threads/async have only the master, so nothing
# is killed), then SIGTERM the master and wait for it.
# Reports connections lost (the benches' errors and timeouts: expected when their process is killed), mismatched
# echoes (must be 0), zombies that lingered (a dead child not reaped within a second; must be 0) and processes of
# the server left after the master exited (must be 0). Exits 1 if any of the last three is not 0.
# Usage: bench/chaos.sh MODEL SECONDS       e.g. bench/chaos.sh process 30
# Environment: REVERB (path or command line, e.g. "dotnet /path/reverb.dll"; default artifacts/aot/reverb,
#   published if missing), REVERB_ARGS (extra serve options), KILL_EVERY_MS (200)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap_errors
if [[ $# -ne 2 || ! $2 =~ ^[0-9]+$ || $2 -lt 1 ]]; then
  echo "usage: bench/chaos.sh process|workers|threads|async SECONDS" >&2
  exit 2
fi
model=$1 secs=$2
every_ms=${KILL_EVERY_MS:-200}
read -ra extra <<<"${REVERB_ARGS:-}"
resolve_reverb

scratch=$(mktemp -d /tmp/reverb-chaos.XXXXXX)
export REVERB_CONTROL_DIR="$scratch/control"
master="" benches=()
cleanup() {
  local b
  for b in "${benches[@]}"; do kill -KILL "$b" 2>/dev/null || true; done
  if [[ -n $master ]]; then stop_tree "$master" 2; fi
  if [[ -n ${KEEP_SCRATCH:-} ]]; then echo "kept $scratch" >&2; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

port=$(free_port)
"${REVERB_CMD[@]}" serve "$port" --host 127.0.0.1 --model "$model" --quiet "${extra[@]}" >"$scratch/server.log" 2>&1 &
master=$!
if ! wait_port "$port" 600; then
  echo "the server did not start: $(tail -3 "$scratch/server.log")" >&2
  exit 1
fi
sleep 1 # spare workers start
echo "# chaos: reverb --model $model on 127.0.0.1:$port (master $master), ${secs} s, SIGKILL every ~${every_ms} ms; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "roles at start (reverb status --json): $("${REVERB_CMD[@]}" status --port "$port" --json 2>/dev/null | grep -o '"role": *"[a-z]*"' | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $3; sep=", "}' || true)"

bench() { # name workload connections
  "${REVERB_CMD[@]}" bench 127.0.0.1 "$port" --workload "$2" --connections "$3" --duration "${secs}s" --warmup 0s \
    --timeout 2s --json "$scratch/$1.json" >"$scratch/$1.out" 2>&1 &
  benches+=($!)
}
bench pingpong pingpong 16
bench churn churn 4

# What the server's tree looked like over time: every pid seen with its start time (so a reused pid is not
# mistaken for ours) in $scratch/seen, and zombies (state Z) with the tick they were first seen in.
declare -A zombie_since=() lingering=()
tick=0 transient=0 zombies=0 tree=()
observe() { # sets tree=(pid ...) without the master; one ps and one awk per call, cheap under load
  local pid state start
  tree=()
  while read -r pid state start; do
    tree+=("$pid")
    echo "$pid $start" >>"$scratch/seen"
    if [[ $state == Z ]]; then
      if [[ -z ${zombie_since[$pid]:-} ]]; then zombie_since[$pid]=$tick; transient=$((transient + 1)); fi
      # A zombie still unreaped ZOMBIE_GRACE_MS (default 1 s) after it was first seen: its parent is not reaping.
      if (((tick - zombie_since[$pid]) * every_ms >= ${ZOMBIE_GRACE_MS:-1000})) && [[ -z ${lingering[$pid]:-} ]]; then
        lingering[$pid]=1
        zombies=$((zombies + 1))
      fi
    fi
  done < <(proc_states $(tree_pids "$master" | tail -n +2))
}

# "PID STATE STARTTIME" of each live pid given (fields after the parenthesised command name, which may hold spaces).
proc_states() {
  (($# > 0)) || return 0
  # getline skips a process that exited meanwhile (a missing file argument would stop awk).
  printf '%s\n' "$@" | awk '{ f = "/proc/" $1 "/stat"
    if ((getline line < f) > 0) { sub(/^[0-9]+ \(.*\) /, "", line); split(line, a, " "); print $1, a[1], a[20] }
    close(f) }' 
}

kills=0
killable=1
case $model in threads | async) killable=0 ;; esac
deadline=$((SECONDS + secs)) started=$EPOCHREALTIME
while ((SECONDS < deadline)); do
  tick=$((tick + 1))
  observe
  if ((killable)); then
    if ((${#tree[@]} > 0)); then
      victim=${tree[RANDOM % ${#tree[@]}]}
      if [[ -z ${zombie_since[$victim]:-} ]] && kill -KILL "$victim" 2>/dev/null; then kills=$((kills + 1)); fi
    fi
  fi
  # Keep to the period whatever observing and killing took (they are slower when the load has the cores).
  sleep "$(awk -v start="$started" -v now="$EPOCHREALTIME" -v t="$tick" -v ms="$every_ms" \
    'BEGIN { s = start + t * ms / 1000 - now; print (s > 0 ? s : 0) }')"
done
if ((!killable)); then echo "model $model runs in the master alone: nothing to kill, load and shutdown only"; fi

for b in "${benches[@]}"; do
  for ((i = 0; i < 600; i++)); do kill -0 "$b" 2>/dev/null || break; tick=$((tick + 1)); observe; sleep 0.1; done
  wait "$b" 2>/dev/null || true
done
benches=()
observe

# Graceful stop: SIGTERM the master alone and wait for it (its drain timeout is 5 s by default).
kill -TERM "$master"
exit_status="did not exit within 30 s"
for ((i = 0; i < 300; i++)); do
  if ! kill -0 "$master" 2>/dev/null; then break; fi
  tick=$((tick + 1)); observe; sleep 0.1
done
if ! kill -0 "$master" 2>/dev/null; then
  wait "$master" && exit_status="exit 0" || exit_status="exit $?"
  master=""
fi
sleep 1 # children told of their master's end are still on their way out
leftovers=0 seen_count=0
if [[ -s $scratch/seen ]]; then
  seen_count=$(sort -u "$scratch/seen" | wc -l)
  while read -r p start; do
    if [[ $(proc_states "$p" | awk '{print $3}') == "$start" ]]; then
      leftovers=$((leftovers + 1))
      echo "left behind: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120) (pid $p)"
    fi
  done < <(sort -u "$scratch/seen")
fi

figure() { grep -o "\"$2\": *[0-9]*" "$scratch/$1.json" 2>/dev/null | head -1 | grep -o '[0-9]*$' || echo "?"; }
lost=0 mismatches=0 bench_ok=1
for name in pingpong churn; do
  if [[ ! -s $scratch/$name.json ]]; then
    echo "$name bench wrote no result: $(tail -3 "$scratch/$name.out")"
    bench_ok=0
    continue
  fi
  echo "$name: $(figure "$name" roundTrips) echoes verified, errors $(figure "$name" errors) (refused $(figure "$name" refused), reset $(figure "$name" resets)), timeouts $(figure "$name" timeouts), mismatches $(figure "$name" mismatches)"
  lost=$((lost + $(figure "$name" errors) + $(figure "$name" timeouts)))
  mismatches=$((mismatches + $(figure "$name" mismatches)))
done

echo "processes killed: $kills (of $seen_count server processes seen)"
echo "connections lost: $lost"
echo "mismatched echoes: $mismatches"
echo "zombies: $zombies lingered over $(( ${ZOMBIE_GRACE_MS:-1000} / 1000 )) s ($transient seen at all, between a kill and its reaping)"
echo "master: $exit_status after SIGTERM"
echo "processes left after the master exited: $leftovers"
if ((mismatches > 0 || $zombies > 0 || leftovers > 0 || !bench_ok)) || [[ $exit_status != "exit 0" ]]; then
  echo "RESULT chaos=FAIL model=$model kills=$kills lost=$lost mismatches=$mismatches zombies=$zombies leftovers=$leftovers"
  exit 1
fi
echo "RESULT chaos=ok model=$model kills=$kills lost=$lost mismatches=0 zombies=0 leftovers=0"
