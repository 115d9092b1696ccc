#!/usr/bin/env bash
# Reverb's process model side by side with the classic fork-per-client C server, in ONE run, measured with the
# independent load generator echoload (all payloads --text, so the strlen-echoing classic server can take part):
#   rows     reverb serve (default process model); the same with --clients-per-process 100 (when this build
#            knows the option); reverb --model workers; classic_fork_server (C)
#   idle     1,000 clients held (each echoed once on connect and checked at the end): PSS of the whole server
#            process tree (sum of /proc/PID/smaps_rollup Pss over the server and all its descendants, peak while
#            held) and per client; 10,000 idle clients for the reverb defaults and the classic server
#   pingpong 50 x 64 B: round trips/s, p50/p99; 1,000 connections x 64 B: reverb process vs workers
#   churn    50 loops of connect, echo 64 B, close: connections/s (reverb default, --clients-per-process 100, classic)
#   latency  one loop of connect, echo 64 B, close (echoload churn -c 1): p50 of the TCP connect alone (the kernel
#            completes the handshake before any accept) and of connect + first echo + close
# Before each short-connection run it waits (bounded) for TIME_WAIT sockets to drain below TW_LIMIT.
# Usage: bench/fork-vs-classic.sh [SECONDS]     (default 5 s per workload)
# Environment: REVERB (path or command line; default artifacts/aot/reverb, published if missing),
#   REVERB_ARGS (extra options for every reverb server), TW_LIMIT (3000), TW_WAIT (max seconds to wait, 75),
#   CONNECT_TIMEOUT (seconds echoload allows to establish idle/pingpong connections, 30),
#   ONLY (comma-separated rows to run, e.g. ONLY=classic; default all)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap_errors
secs="${1:-5}"
tw_limit="${TW_LIMIT:-3000}"
tw_wait="${TW_WAIT:-75}"
connect_timeout="${CONNECT_TIMEOUT:-30}"
read -ra extra <<<"${REVERB_ARGS:-}"
command_line="$0 $*"

scratch=$(mktemp -d /tmp/reverb-fork-vs-classic.XXXXXX)
server_pid=""
cleanup() {
  if [[ -n $server_pid ]]; then stop_tree "$server_pid" 5; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

prepare_load "$scratch"
nofile=$(ulimit -n)

declare -A V # V[row|metric] = figure
rows=()
declare -A START # row -> server command line (with PORT as placeholder)
add_row() { # name command...  (ONLY=a,b keeps just those rows)
  if [[ -n ${ONLY:-} && ,$ONLY, != *",$1,"* ]]; then return; fi
  rows+=("$1"); START[$1]="${*:2}"
}
serve=("${REVERB_CMD[@]}" serve PORT --host 127.0.0.1 --quiet)
add_row "reverb" "${serve[@]}" "${extra[@]}"
if "${REVERB_CMD[@]}" serve --help 2>/dev/null | grep -q -- '--clients-per-process'; then
  add_row "reverb cpp100" "${serve[@]}" --clients-per-process 100 "${extra[@]}"
  cpp_note=""
else
  cpp_note="reverb --clients-per-process 100: skipped, this build has no such option (reverb serve --help)"
fi
add_row "reverb workers" "${serve[@]}" --model workers "${extra[@]}"
add_row "classic" "$scratch/classic_fork_server" PORT

log() { echo "$*" >&2; }
kib_to_mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

start_server() { # row port
  local cmd=${START[$1]//PORT/$2}
  # shellcheck disable=SC2086
  $cmd >"$scratch/server.log" 2>&1 &
  server_pid=$!
  if ! wait_port "$2"; then log "$1 did not start: $(tail -3 "$scratch/server.log")"; return 1; fi
  sleep 1 # spare workers start
}

idle_step() { # row port count key
  local row=$1 port=$2 n=$3 key=$4 out="$scratch/idle.out"
  "$load" idle -p "$port" -c "$n" -d "$secs" --text --max-inflight 64 --connect-timeout "$connect_timeout" >"$out" 2>&1 &
  local lp=$! peak_pss=0 peak_rss=0 peak_procs=0 procs rss pss fds
  while kill -0 "$lp" 2>/dev/null; do
    read -r procs rss pss fds < <(tree_usage "$server_pid")
    ((pss > peak_pss)) && peak_pss=$pss && peak_rss=$rss
    ((procs > peak_procs)) && peak_procs=$procs
    sleep 0.5
  done
  wait "$lp" || true
  local result held echoed checked
  result=$(grep '^RESULT' "$out" | tail -1)
  held=$(field established <<<"$result"); echoed=$(field echoed <<<"$result"); checked=$(field checked <<<"$result")
  V[$row|${key}_held]="${held:-0}"
  V[$row|${key}_check]="${echoed:-0}/${checked:-0}"
  V[$row|${key}_pss]=$(kib_to_mib "$peak_pss")
  V[$row|${key}_rss]=$(kib_to_mib "$peak_rss")
  V[$row|${key}_procs]=$peak_procs
  local base_pss=$row_base_pss # the freshly started server's, not what an earlier step left running
  if ((${held:-0} > 0)); then V[$row|${key}_per]=$(awk -v p="$peak_pss" -v b="$base_pss" -v n="$held" 'BEGIN { printf "%.0f", (p - b) / n }'); fi
  log "  idle $n: held ${held:-0}, sample echoed ${echoed:-0}/${checked:-0}, tree PSS $(kib_to_mib "$peak_pss") MiB (idle server $(kib_to_mib "$base_pss") MiB), $peak_procs processes; $result"
  # Let the server wind the held clients down before the next step.
  for _ in $(seq 200); do [[ $(ss -Htn state established "( sport = :$port )" | wc -l) -eq 0 ]] && break; sleep 0.05; done
}

pingpong_step() { # row port conns key
  local r; r=$("$load" pingpong -p "$2" -c "$3" -s 64 -d "$secs" --text --connect-timeout "$connect_timeout" 2>&1 | grep '^RESULT' | tail -1)
  V[$1|${4}_rtps]=$(field rtps <<<"$r"); V[$1|${4}_p50]=$(field p50_us <<<"$r"); V[$1|${4}_p99]=$(field p99_us <<<"$r")
  V[$1|${4}_est]=$(field established <<<"$r")
  V[$1|${4}_fail]="$(field errors <<<"$r")/$(field timeouts <<<"$r")/$(field mismatches <<<"$r")"
  log "  pingpong $3 x 64 B: $r"
}

churn_step() { # row port conns
  local waited; waited=$(drain_time_wait "$tw_limit" "$tw_wait")
  local r; r=$("$load" churn -p "$2" -c "$3" -s 64 -d "$secs" --text 2>&1 | grep '^RESULT' | tail -1)
  log "  churn $3 x 64 B (after ${waited}s for TIME_WAIT): $r"
  echo "$r"
}

date_line="$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)"
log "# $date_line; $secs s per workload; descriptor limit $nofile"
for row in "${rows[@]}"; do
  port=$(free_port)
  log "## $row: ${START[$row]//PORT/$port}"
  start_server "$row" "$port" || { server_pid=""; continue; }
  read -r procs rss pss _ < <(tree_usage "$server_pid")
  V[$row|base]="$procs procs, $(kib_to_mib "$pss") MiB PSS"
  row_base_pss=$pss
  idle_step "$row" "$port" 1000 idle1k
  if [[ $row == reverb || $row == classic ]]; then idle_step "$row" "$port" 10000 idle10k; fi
  pingpong_step "$row" "$port" 50 pp50
  if [[ $row == reverb || $row == "reverb workers" ]]; then pingpong_step "$row" "$port" 1000 pp1k; fi
  if [[ $row != "reverb workers" ]]; then
    r=$(churn_step "$row" "$port" 50)
    V[$row|churn_cps]=$(field cps <<<"$r"); V[$row|churn_fail]="$(field errors <<<"$r")/$(field timeouts <<<"$r")/$(field mismatches <<<"$r")"
  fi
  r=$(churn_step "$row" "$port" 1)
  V[$row|lat_connect]=$(field connect_p50_us <<<"$r"); V[$row|lat_cycle]=$(field cycle_p50_us <<<"$r")
  stop_tree "$server_pid" 10
  server_pid=""
done

# ---- report (markdown on stdout)
metrics=(
  "idle1k_held|1,000 idle: held|n"
  "idle1k_pss|1,000 idle: tree PSS MiB|l"
  "idle1k_per|PSS per idle client KiB|l"
  "idle1k_procs|1,000 idle: processes|l"
  "idle10k_held|10,000 idle: held|n"
  "idle10k_pss|10,000 idle: tree PSS MiB|l"
  "pp50_rtps|pingpong 50×64 B rt/s|h"
  "pp50_p50|pingpong 50 p50 µs|l"
  "pp50_p99|pingpong 50 p99 µs|l"
  "pp1k_rtps|pingpong 1,000×64 B rt/s|h"
  "pp1k_p99|pingpong 1,000 p99 µs|l"
  "churn_cps|churn 50×64 B conn/s|h"
  "lat_cycle|connect+first echo+close p50 µs|l"
  "lat_connect|TCP connect p50 µs|l"
)
cell() { local v=${V[$1|$2]:-}; echo "${v:-–}"; }
header() { local line="| $1 |" sep="|---|" m; for m in "${metrics[@]}"; do IFS='|' read -r _ title _ <<<"$m"; line+=" $title |"; sep+="---:|"; done; echo "$line"; echo "$sep"; }

echo "# reverb process model vs classic_fork_server ($date_line)"
echo
echo "Command: \`$command_line\` (REVERB=${REVERB_CMD[*]}${REVERB_ARGS:+, REVERB_ARGS=$REVERB_ARGS}); $secs s per workload, echoload 1 thread, --text payloads; descriptor limit $nofile."
[[ -n ${cpp_note:-} ]] && { echo; echo "$cpp_note."; }
echo
echo "## Ratios against classic_fork_server (same run; >1 means more of the figure)"
echo
header "server"
for row in "${rows[@]}"; do
  line="| $row |"
  for m in "${metrics[@]}"; do
    IFS='|' read -r key _ _ <<<"$m"
    v=${V[$row|$key]:-}; c=${V[classic|$key]:-}
    if [[ -n $v && -n $c ]] && awk -v c="$c" 'BEGIN { exit !(c + 0 > 0) }'; then
      line+=" $(awk -v v="$v" -v c="$c" 'BEGIN { printf "%.2f×", v / c }') |"
    else
      line+=" – |"
    fi
  done
  echo "$line"
done
echo
echo "## Raw figures"
echo
header "server"
for row in "${rows[@]}"; do
  line="| $row |"
  for m in "${metrics[@]}"; do IFS='|' read -r key _ _ <<<"$m"; line+=" $(cell "$row" "$key") |"; done
  echo "$line"
done
echo
echo "| server | started as | idle server | idle 1,000: RSS MiB, sample echoed | idle 10,000: processes, sample echoed | pingpong 50 / 1,000: established, errors/timeouts/mismatches | churn errors/timeouts/mismatches |"
echo "|---|---|---|---|---|---|---|"
for row in "${rows[@]}"; do
  echo "| $row | \`${START[$row]//PORT/N}\` | $(cell "$row" base) | $(cell "$row" idle1k_rss), $(cell "$row" idle1k_check) | $(cell "$row" idle10k_procs), $(cell "$row" idle10k_check) | $(cell "$row" pp50_est) $(cell "$row" pp50_fail) / $(cell "$row" pp1k_est) $(cell "$row" pp1k_fail) | $(cell "$row" churn_fail) |"
done
echo
echo "Held: connections that echoed on connect (echoload idle 'established'). PSS: peak of the sum over the server's"
echo "whole process tree while the clients were held; per client: (that peak − the idle server's PSS) / held."
