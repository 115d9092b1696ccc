#!/usr/bin/env bash
# The cost check: what status/metrics bookkeeping and --max-conns-per-source cost on the hot
# path. Short connections/s and round trips/s (50 clients x 64 B, echoload) for each model, with the
# limit off and on (set high enough never to refuse, so only the check is paid), and, when
# BASELINE=path/to/an/older/reverb is given, that build first, in the same run.
# Usage: [BASELINE=/tmp/oldaot/reverb] bench/monitoring-cost.sh [SECONDS] [MODELS...]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-4}"; shift || true
models=("${@:-process workers async}"); models=(${models[*]})
load="$(bench/anchors.sh)/echoload"
if [[ ! -x artifacts/aot/reverb ]]; then dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null; fi
wait_port() { for _ in $(seq 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
field() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }
port=19700

run() { # label binary model extra...
  local label=$1 bin=$2 model=$3; shift 3
  port=$((port + 1))
  local extra=()
  "$bin" serve "$port" --host 127.0.0.1 --quiet --model "$model" "${extra[@]}" "$@" >/dev/null 2>&1 &
  local pid=$!
  wait_port "$port"; sleep 1
  local churn pp
  churn=$("$load" churn -p "$port" -c 50 -s 64 -d "$secs" 2>&1 | field cps)
  pp=$("$load" pingpong -p "$port" -c 50 -s 64 -d "$secs" 2>&1 | field rtps)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  printf "%-8s %-34s churn %8s conn/s   pingpong %9s rt/s\n" "$model" "$label" "$churn" "$pp"
}

for m in "${models[@]}"; do
  [[ -n ${BASELINE:-} ]] && run "baseline ($BASELINE)" "$BASELINE" "$m"
  run "this build" artifacts/aot/reverb "$m"
  run "this build, --max-conns-per-source 1000" artifacts/aot/reverb "$m" --max-conns-per-source 1000
done
