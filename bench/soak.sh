#!/usr/bin/env bash
# Soak: one reverb server under mixed load for N minutes, looking for growth (memory, descriptors, processes) and
# for failures that only show up over time. All load is echoload --text (verified byte for byte):
#   - churn: 4 loops of connect, echo 64 B, close, all the time
#   - pingpong: 10 connections of 64-byte round trips, all the time
#   - idle waves: WAVE (200) more idle clients every 10 s, all released at the end of each minute
# Every 10 s it samples the server's process tree: processes, RSS and PSS summed, descriptors open (/proc/PID/fd),
# and the load's errors/timeouts since the last sample. Then it prints the growth per minute (least squares over
# the samples taken at the minute marks, when the idle waves have just been released) and, once the load has
# stopped, how long the process count took to come back to its idle size.
# Usage: bench/soak.sh [MINUTES] [MODEL]      (default 10 minutes, process; MINUTES may be a fraction, e.g. 0.5)
# Environment: REVERB (path or command line; default artifacts/aot/reverb), REVERB_ARGS (extra serve options),
#   WAVE (idle clients per wave, 200), SETTLE_MAX (seconds to wait for the idle size after the load, 120)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap_errors
minutes=${1:-10} model=${2:-process}
total=$(awk -v m="$minutes" 'BEGIN { s = int(m * 60 + 0.5); print (s < 10 ? 10 : s) }')
wave=${WAVE:-200} settle_max=${SETTLE_MAX:-120} every=10
read -ra extra <<<"${REVERB_ARGS:-}"

scratch=$(mktemp -d /tmp/reverb-soak.XXXXXX)
server_pid="" loops=()
cleanup() {
  local l
  # shellcheck disable=SC2046
  for l in "${loops[@]}"; do kill -KILL $(tree_pids "$l") 2>/dev/null || true; done
  if [[ -n $server_pid ]]; then stop_tree "$server_pid" 10; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare_load "$scratch"
port=$(free_port)
"${REVERB_CMD[@]}" serve "$port" --host 127.0.0.1 --model "$model" --quiet "${extra[@]}" >"$scratch/server.log" 2>&1 &
server_pid=$!
wait_port "$port" 600 || { echo "the server did not start: $(tail -3 "$scratch/server.log")" >&2; exit 1; }
sleep 2
read -r idle_procs idle_rss idle_pss idle_fds < <(tree_usage "$server_pid")
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "# soak: reverb --model $model ${extra[*]:-} on 127.0.0.1:$port, $total s; $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
echo "# command: $0 $*  (REVERB=${REVERB_CMD[*]}, WAVE=$wave)"
echo "# load: churn 4 x 64 B, pingpong 10 x 64 B, +$wave idle clients every ${every} s released each minute; echoload --text"
echo "# idle server: $idle_procs processes, $(mib "$idle_rss") MiB RSS, $(mib "$idle_pss") MiB PSS, $idle_fds descriptors"

start=$SECONDS end=$((SECONDS + total))
steady() { # name echoload-arguments...: back-to-back runs of at most 10 s until the end
  local name=$1; shift
  while ((SECONDS < end - 1)); do
    "$load" "$@" -p "$port" -d "$((end - SECONDS < every ? end - SECONDS : every))" --text 2>/dev/null | grep '^RESULT' >>"$scratch/$name" || true
  done
}
steady churn churn -c 4 -s 64 &
loops+=($!)
steady pingpong pingpong -c 10 -s 64 &
loops+=($!)

# The load's failures since the last sample: errors + timeouts (+ idle clients dropped while held) + mismatches.
declare -A done_lines=([churn]=0 [pingpong]=0 [idle]=0)
failures() {
  local name total_new=0 lines n
  for name in churn pingpong idle; do
    [[ -f $scratch/$name ]] || continue
    lines=$(wc -l <"$scratch/$name")
    n=$(tail -n +"$((done_lines[$name] + 1))" "$scratch/$name" | head -n "$((lines - done_lines[$name]))" |
      awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(errors|timeouts|dropped|mismatches)$/) s += kv[2] } } END { print s + 0 }')
    done_lines[$name]=$lines
    total_new=$((total_new + n))
  done
  echo "$total_new"
}

printf '\n| t (s) | processes | RSS MiB | PSS MiB | descriptors | TCP connections open | load errors+timeouts |\n|---:|---:|---:|---:|---:|---:|---:|\n'
samples="$scratch/samples"
while ((SECONDS < end)); do
  t=$((SECONDS - start))
  # A wave of idle clients, held until the end of this minute.
  hold=$((60 - t % 60 - 4)) # released a few seconds before the minute mark
  if ((hold >= 3 && SECONDS + hold < end)); then
    ("$load" idle -p "$port" -c "$wave" -d "$hold" --text --max-inflight 32 --connect-timeout 8 2>/dev/null | grep '^RESULT' >>"$scratch/idle" || true) &
    loops+=($!)
  fi
  sleep $((every - 1))
  t=$((SECONDS - start))
  read -r procs rss pss fds < <(tree_usage "$server_pid")
  open=$(ss -Htn state established "( sport = :$port )" | wc -l)
  failed=$(failures)
  echo "$t $procs $rss $pss $fds" >>"$samples"
  printf '| %d | %d | %s | %s | %d | %d | %d |\n' "$t" "$procs" "$(mib "$rss")" "$(mib "$pss")" "$fds" "$open" "$failed"
  sleep 1
done
for l in "${loops[@]}"; do wait "$l" 2>/dev/null || true; done
loops=()
failed=$(failures)

# Growth per minute: least-squares slope at the minute marks (same point of the idle-wave cycle), else over all samples.
slope() { # column: prints "MiB/min" style slope per minute of the column (KiB columns are divided by 1024 by the caller)
  awk -v c="$1" -v marks="$2" '
    { t = $1; if (marks && t % 60 > 3 && t % 60 < 57) next; n++; x += t; y += $c; xx += t * t; xy += t * $c }
    END { d = n * xx - x * x; if (n < 2 || d == 0) print "n/a"; else printf "%.3f", (n * xy - x * y) / d * 60 }' "$samples"
}
marks=1
(($(awk '$1 % 60 <= 3 || $1 % 60 >= 57' "$samples" | wc -l) >= 2)) || marks=0
rss_slope=$(slope 3 $marks) pss_slope=$(slope 4 $marks) fd_slope=$(slope 5 $marks) proc_slope=$(slope 2 $marks)
per_min() { [[ $1 == n/a ]] && echo n/a || awk -v s="$1" 'BEGIN { printf "%.2f", s / 1024 }'; }
echo
echo "growth per minute ($( ((marks)) && echo "samples at the minute marks, after each wave's release" || echo "all samples"); least squares):"
echo "  RSS $(per_min "$rss_slope") MiB/min, PSS $(per_min "$pss_slope") MiB/min, descriptors $fd_slope /min, processes $proc_slope /min"
echo "load failures in the last window: $failed (errors + timeouts + idle clients dropped + mismatches)"

settle_start=$EPOCHREALTIME settled=""
for ((i = 0; i < settle_max * 2; i++)); do
  read -r procs _ < <(tree_usage "$server_pid")
  if ((procs <= idle_procs)); then settled=$(awk -v a="$settle_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'); break; fi
  sleep 0.5
done
read -r procs rss pss fds < <(tree_usage "$server_pid")
if [[ -n $settled ]]; then
  echo "after the load: back to $idle_procs processes (its idle size) in $settled s"
else
  echo "after the load: still $procs processes after $settle_max s (idle size $idle_procs)"
fi
echo "after the load: $procs processes, $(mib "$rss") MiB RSS, $(mib "$pss") MiB PSS, $fds descriptors (idle server was $(mib "$idle_rss") / $(mib "$idle_pss") MiB, $idle_fds descriptors)"
