#!/usr/bin/env bash
# The check that `reverb bench` is not the bottleneck: it and the independent C load generator
# echoload take turns against the same fast C server (epoll_echo, 2 threads), in one run.
# Usage: bench/bench-vs-echoload.sh [SECONDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; rounds="${2:-2}"
anchors="$(bench/anchors.sh)"
if [[ ! -x artifacts/aot/reverb ]]; then dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null; fi
reverb="$PWD/artifacts/aot/reverb"
port=19501
"$anchors/epoll_echo" $port 2 >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
sleep 0.5
field() { grep -o "\"$1\": *[0-9.]*" | head -1 | grep -o '[0-9.]*$'; }
res() { grep ^RESULT | grep -o "$1=[^ ]*" | cut -d= -f2; }
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores; epoll_echo 2 threads; ${secs}s per run"
for r in $(seq "$rounds"); do
  "$reverb" bench 127.0.0.1 $port -w pingpong -c 50 -s 64 -d "${secs}s" --warmup 1s --json /tmp/rb-pp.json >/dev/null 2>&1
  ep=$("$anchors/echoload" pingpong -p $port -c 50 -s 64 -d "$secs" 2>/dev/null)
  "$reverb" bench 127.0.0.1 $port -w churn -c 50 -s 64 -d "${secs}s" --warmup 1s --json /tmp/rb-ch.json >/dev/null 2>&1
  ec=$("$anchors/echoload" churn -p $port -c 50 -s 64 -d "$secs" 2>/dev/null)
  echo "round $r: pingpong 50x64B rt/s: reverb bench $(field roundTripsPerSecond </tmp/rb-pp.json) (p50 $(field p50 </tmp/rb-pp.json) us, p99 $(field p99 </tmp/rb-pp.json) us) | echoload $(res rtps <<<"$ep") (p50 $(res p50_us <<<"$ep") us, p99 $(res p99_us <<<"$ep") us)"
  echo "round $r: churn 50x64B conn/s:   reverb bench $(field connectionsPerSecond </tmp/rb-ch.json) | echoload $(res cps <<<"$ec")"
done
