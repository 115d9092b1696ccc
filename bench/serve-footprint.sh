#!/usr/bin/env bash
# The figures for `reverb serve` (process model, NativeAOT build), side by side with the C
# anchors in one run: RSS of the master and of one idle worker, connect-to-first-echo latency on a
# warm server (echoload churn with one connection: connect, 64 B echo, close), and short
# connections per second (echoload churn, 50 concurrent loops of connect, echo 64 B, close).
# Usage: bench/serve-footprint.sh [SECONDS]   (needs gcc; publishes reverb with NativeAOT first)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"
anchors="$(bench/anchors.sh)"
load="$anchors/echoload"
if [[ ! -x artifacts/aot/reverb ]]; then dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null; fi
reverb="$PWD/artifacts/aot/reverb"

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
result() { grep '^RESULT' | tail -1; }

run_server() { # name port command...
  local name=$1 port=$2; shift 2
  "$@" >/dev/null 2>&1 &
  local pid=$!
  wait_port "$port"; sleep 0.5
  echo "## $name (pid $pid)"
  if [[ $name == reverb* ]]; then
    local worker; worker=$(pgrep -P "$pid" | head -1)
    echo "RSS master: $(rss "$pid") KiB; one idle worker: $(rss "$worker") KiB; workers: $(pgrep -P "$pid" | wc -l)"
  else
    echo "RSS: $(rss "$pid") KiB"
  fi
  echo "connect+first echo, 1 client:  $("$load" churn -p "$port" -c 1 -s 64 -d "$secs" --text | result)"
  echo "short connections, 50 loops:   $("$load" churn -p "$port" -c 50 -s 64 -d "$secs" --text | result)"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

date -u +"%Y-%m-%d %H:%M UTC, $(nproc) cores"
run_server "reverb --model process" 19301 "$reverb" serve 19301 --host 127.0.0.1 --quiet
run_server "classic_fork_server" 19302 "$anchors/classic_fork_server" 19302
run_server "epoll_echo (2 threads)" 19303 "$anchors/epoll_echo" 19303 2
