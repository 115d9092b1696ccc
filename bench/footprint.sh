#!/usr/bin/env bash
# Size of the NativeAOT binary and the memory (PSS, KiB) of each kind of reverb process when idle:
# the master, a workers-model worker, the process model's forking process and a forked child
# holding one idle client.
# Usage: bench/footprint.sh [REVERB_BINARY]   (default: artifacts/aot/reverb, published if missing)
set -euo pipefail
cd "$(dirname "$0")/.."
reverb="${1:-$PWD/artifacts/aot/reverb}"
if [[ ! -x $reverb ]]; then dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null; fi

pss() { awk '/^Pss:/ {print $2}' "/proc/$1/smaps_rollup"; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }

date -u +"%Y-%m-%d %H:%M UTC, $(nproc) cores"
echo "binary: $(stat -c %s "$reverb") bytes ($reverb)"

"$reverb" serve 19411 --host 127.0.0.1 --model workers --workers 2 --quiet &
master=$!
wait_port 19411; sleep 1
worker=$(pgrep -P "$master" | head -1)
echo "workers model: master $(pss "$master") KiB, one idle worker $(pss "$worker") KiB"
kill -TERM "$master"; wait "$master" 2>/dev/null || true

"$reverb" serve 19412 --host 127.0.0.1 --model process --quiet &
master=$!
wait_port 19412; sleep 1
exec 4<>/dev/tcp/127.0.0.1/19412
sleep 0.5
forker=$(pgrep -P "$master" | head -1)
child=$(pgrep -P "$forker" | head -1)
echo "process model: master $(pss "$master") KiB, forking process $(pss "$forker") KiB, a child with one idle client $(pss "$child") KiB"
exec 4>&-
kill -TERM "$master"; wait "$master" 2>/dev/null || true
