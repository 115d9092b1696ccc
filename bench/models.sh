#!/usr/bin/env bash
# The models' figures: every `reverb serve --model` (NativeAOT build) side by side with the C anchors,
# in one run, measured with the independent load generator echoload:
#   - memory of the whole server process tree (RSS summed, and PSS, which splits shared pages fairly)
#     with 0, 1, 100 and 1,000 idle clients (and 10,000 for the models meant for it);
#   - short connections per second (50 loops of connect, echo 64 B, close);
#   - round trips per second of 50 clients sending 64-byte messages.
# Usage: bench/models.sh [SECONDS] [MODELS...]     e.g. bench/models.sh 5 async workers
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-5}"; shift || true
models=("${@:-process workers threads async}"); models=(${models[*]})
anchors="$(bench/anchors.sh)"
load="$anchors/echoload"
if [[ ! -x artifacts/aot/reverb ]]; then dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null; fi
reverb="$PWD/artifacts/aot/reverb"
hold=3

tree() { echo "$1"; pgrep -P "$1" || true; }
mem() { # "RSS_MiB PSS_MiB processes threads" of a process tree
  local rss=0 pss=0 n=0 th=0 p
  for p in $(tree "$1"); do
    rss=$((rss + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)))
    th=$((th + $(awk '/^Threads/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
    n=$((n + 1))
  done
  printf "rss=%.1fMiB pss=%.1fMiB procs=%d threads=%d" "$(bc -l <<<"$rss/1024")" "$(bc -l <<<"$pss/1024")" "$n" "$th"
}
established() { ss -Htn state established "( sport = :$1 )" | wc -l; }
wait_port() { for _ in $(seq 400); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
field() { grep -o "$1=[^ ]*" | head -1 | cut -d= -f2; }

idle_step() { # port pid n
  local port=$1 pid=$2 n=$3 out; out=$(mktemp)
  "$load" idle -p "$port" -c "$n" -d $((hold + 1)) --max-inflight 64 --connect-timeout 120 >"$out" 2>&1 &
  local lp=$!
  for _ in $(seq 2400); do [[ $(established "$port") -ge $n ]] && break; kill -0 $lp 2>/dev/null || break; sleep 0.05; done
  sleep 1
  local m; m=$(mem "$pid")
  wait $lp || true
  echo "idle $n: $m established=$(field established <"$out") echoed=$(field echoed <"$out")/$(field checked <"$out") errors=$(field errors <"$out")"
  rm -f "$out"
  for _ in $(seq 200); do [[ $(established "$port") -le 0 ]] && break; sleep 0.05; done
}

measure() { # name port big-idle command...
  local name=$1 port=$2 big=$3; shift 3
  "$@" >/dev/null 2>&1 &
  local pid=$!
  wait_port "$port"; sleep 1
  echo "## $name"
  echo "idle 0: $(mem "$pid")"
  for n in 1 100 1000 $big; do idle_step "$port" "$pid" "$n"; done
  local churn pp
  churn=$("$load" churn -p "$port" -c 50 -s 64 -d "$secs" 2>&1 | grep ^RESULT)
  pp=$("$load" pingpong -p "$port" -c 50 -s 64 -d "$secs" 2>&1 | grep ^RESULT)
  echo "churn 50x64B: $(field cps <<<"$churn") conn/s (errors $(field errors <<<"$churn"), mismatches $(field mismatches <<<"$churn"))"
  echo "pingpong 50x64B: $(field rtps <<<"$pp") rt/s p50=$(field p50_us <<<"$pp")us p99=$(field p99_us <<<"$pp")us (errors $(field errors <<<"$pp"), mismatches $(field mismatches <<<"$pp"))"
  echo "after load: $(mem "$pid")"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); ${secs}s per load step, echoload 1 thread"
port=19400
for m in "${models[@]}"; do
  port=$((port + 1))
  case $m in
    process) measure "reverb --model process" $port "" "$reverb" serve $port --host 127.0.0.1 --quiet --model process ;;
    workers|async) measure "reverb --model $m" $port 10000 "$reverb" serve $port --host 127.0.0.1 --quiet --model "$m" --max-clients 20000 ;;
    threads) measure "reverb --model threads" $port "" "$reverb" serve $port --host 127.0.0.1 --quiet --model threads ;;
  esac
done
# The classic fork server is left out: it drops everything after a NUL byte, so echoload's random
# payloads never come back from it (bench/serve-footprint.sh measures it with --text).
if [[ -z "${NO_ANCHORS:-}" ]]; then
  measure "epoll_echo (C, 2 threads)" 19498 10000 "$anchors/epoll_echo" 19498 2
fi
