#!/usr/bin/env bash
# A reverb fleet behind HAProxy: throughput and latency of verified echoes (`reverb bench`, pingpong and churn)
# straight to one instance (the baseline), through HAProxy to 1 instance, and through HAProxy to 3 instances.
# Each instance is a host of its own: a network namespace joined by a veth pair to a balancer host (a namespace
# too) with addresses from 198.18.0.0/15 (RFC 2544's benchmarking range), as tests/Reverb.Tests/Fleet does.
# HAProxy and `reverb bench` run on the balancer host, the bench connecting to HAProxy on its loopback; HAProxy
# runs the shipped deploy/haproxy.cfg (send-proxy-v2, /healthz checks, round robin; only its stats socket and
# servers changed). The balancer's own stack reuses ports in TIME_WAIT (tcp_tw_reuse=1, set there only), so
# churn runs need no pause between them and nothing of this machine's own settings changes.
# Everything created is removed on exit.
# On a machine with few cores the instances, HAProxy and the load generator share the same cores: the figures
# show what the extra hop costs, not how a fleet scales.
# Usage: bench/fleet.sh [SECONDS]            e.g. bench/fleet.sh 5       (needs root, iproute2, haproxy, python3)
# Environment: REVERB (path or command line; default artifacts/aot/reverb, published if missing),
#   MODEL (workers), CONNECTIONS (50), SIZE (64), ROUNDS (3: the paths take turns, the medians are shown)
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
trap_errors
secs=${1:-5}
if [[ ! $secs =~ ^[0-9]+$ || $secs -lt 1 ]]; then
  echo "usage: bench/fleet.sh [SECONDS]" >&2
  exit 2
fi
model=${MODEL:-workers} conns=${CONNECTIONS:-50} size=${SIZE:-64} rounds=${ROUNDS:-3}
for tool in /usr/sbin/ip /usr/sbin/haproxy python3; do
  command -v "$tool" >/dev/null || { echo "fleet.sh: $tool is needed (apt-get install iproute2 haproxy python3)" >&2; exit 2; }
done
((EUID == 0)) || { echo "fleet.sh: network namespaces need root" >&2; exit 2; }
resolve_reverb
raise_nofile

# Hosts: namespace rvfl-PID-TAGn with eth0 = 198.18.X.(4n+2)/30, its peer rvfPID.TAGn on the balancer
# (namespace rvfl-PID-TAGb) = 198.18.X.(4n+1)/30: the names NamespaceHosts uses, so either removes what the
# other left behind when killed.
sweep() {
  local ns pid link
  for ns in $(ip netns list | { grep -o '^rvfl-[0-9]*-[0-9a-f]*' || true; }); do
    pid=${ns#rvfl-}; pid=${pid%%-*}
    if [[ ! -d /proc/$pid ]]; then
      # shellcheck disable=SC2046
      kill -KILL $(ip netns pids "$ns") 2>/dev/null || true
      ip netns delete "$ns" 2>/dev/null || true
    fi
  done
  # Host-side interfaces that the test (NamespaceHosts) leaves in this namespace.
  for link in $(ip -o link show | { grep -o '^[0-9]*: rvf[0-9]*\.[0-9a-f]*' || true; } | cut -d' ' -f2); do
    pid=${link#rvf}; pid=${pid%%.*}
    [[ -d /proc/$pid ]] || ip link delete "$link" 2>/dev/null || true
  done
}
sweep
tag=$(printf '%02x' $((RANDOM % 256)))
subnet=""
for x in $(shuf -i 1-254); do
  if ! ip -4 -o address show | grep -q " 198\.18\.$x\."; then subnet=$x; break; fi
done
[[ -n $subnet ]] || { echo "fleet.sh: no free 198.18.X.0/24" >&2; exit 1; }
ns() { echo "rvfl-$$-$tag$1"; }
addr() { echo "198.18.$subnet.$((4 * $1 + 2))"; }
peer() { echo "198.18.$subnet.$((4 * $1 + 1))"; }

scratch=$(mktemp -d /tmp/reverb-fleet.XXXXXX)
haproxy_pid="" hosts=()
cleanup() {
  local n
  if [[ -n $haproxy_pid ]]; then kill -KILL "$haproxy_pid" 2>/dev/null || true; fi
  for n in "${hosts[@]}"; do
    # shellcheck disable=SC2046
    kill -KILL $(ip netns pids "$(ns "$n")") 2>/dev/null || true
    ip netns delete "$(ns "$n")" 2>/dev/null || true
  done
  if [[ -n ${KEEP_SCRATCH:-} ]]; then echo "kept $scratch" >&2; else rm -rf "$scratch"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

lb=$(ns b)
ip netns add "$lb"
hosts+=(b)
ip -n "$lb" link set lo up
ip netns exec "$lb" sysctl -qw net.ipv4.tcp_tw_reuse=1 net.ipv4.ip_local_port_range="1024 65535"
for n in 0 1 2 3; do
  ip netns add "$(ns $n)"
  hosts+=("$n")
  ip link add "rvf$$.$tag$n" netns "$lb" type veth peer name eth0 netns "$(ns $n)"
  ip -n "$lb" address add "$(peer $n)/30" dev "rvf$$.$tag$n"
  ip -n "$lb" link set "rvf$$.$tag$n" up
  ip -n "$(ns $n)" address add "$(addr $n)/30" dev eth0
  ip -n "$(ns $n)" link set eth0 up
  ip -n "$(ns $n)" link set lo up
done

# start_instance N [SERVE OPTIONS]: reverb on port 7 of host N, its metrics (/healthz) on port 9100.
start_instance() {
  local n=$1
  shift
  ip netns exec "$(ns "$n")" "${REVERB_CMD[@]}" serve 7 --host "$(addr "$n")" --model "$model" --quiet \
    --metrics "$(addr "$n"):9100" "$@" >>"$scratch/reverb$n.log" 2>&1 &
  disown $! # killed with its host on exit (cleanup), without bash reporting it
}
behind_haproxy() { echo --proxy-protocol --trusted-proxy "$(peer "$1")"; }
wait_tcp() { # HOST PORT: until it accepts, seen from the balancer (at most 20 s)
  for _ in $(seq 400); do
    ip netns exec "$lb" bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null && return 0
    sleep 0.05
  done
  echo "fleet.sh: nothing accepts on $1:$2" >&2
  exit 1
}

# HAProxy's status of every server (name status), from its stats socket.
server_status() {
  python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.settimeout(5); s.connect(sys.argv[1]); s.sendall(b"show stat\n")
data = b""
while chunk := s.recv(65536): data += chunk
for line in data.decode().splitlines()[1:]:
    f = line.split(",")
    if len(f) > 17 and f[0] == "reverbs" and f[1] != "BACKEND": print(f[1], f[17])' "$1"
}

# start_haproxy N: the shipped configuration with the first N instances as its servers, on the balancer's port 7.
start_haproxy() {
  local n=$1 i edits=()
  edits=(-e "s|/run/haproxy/reverb-admin.sock|$scratch/admin.sock|")
  for i in 0 1 2; do
    if ((i < n)); then edits+=(-e "s|192\.0\.2\.1$((i + 1)):7|$(addr $i):7|"); else edits+=(-e "/server reverb$((i + 1)) /d"); fi
  done
  sed "${edits[@]}" deploy/haproxy.cfg >"$scratch/haproxy.cfg"
  # Its session log (one line per session, as in production) goes to a file.
  ip netns exec "$lb" haproxy -db -f "$scratch/haproxy.cfg" >"$scratch/haproxy-$n.log" 2>&1 &
  haproxy_pid=$!
  for _ in $(seq 200); do
    [[ $(server_status "$scratch/admin.sock" 2>/dev/null | grep -c ' UP$') == "$n" ]] && return 0
    sleep 0.1
  done
  echo "fleet.sh: HAProxy's $n servers did not come UP: $(server_status "$scratch/admin.sock" 2>&1 | tr '\n' ' ')" >&2
  exit 1
}
stop_haproxy() { kill -TERM "$haproxy_pid"; wait "$haproxy_pid" 2>/dev/null || true; haproxy_pid=""; }

json() { grep -o "\"$1\": *[0-9.]*" "$2" | head -1 | grep -o '[0-9.]*$'; }
bench() { # HOST PORT WORKLOAD JSON, from the balancer host; errors are reported in the table, a mismatch ends the script
  rm -f "$4"
  ip netns exec "$lb" "${REVERB_CMD[@]}" bench "$1" "$2" -w "$3" -c "$conns" -s "$size" -d "${secs}s" --warmup 1s \
    --json "$4" >"$scratch/bench.out" 2>&1 || true
  if [[ ! -s $4 || $(json mismatches "$4") != 0 ]]; then
    echo "fleet.sh: reverb bench $3 against $1:$2 failed: $(tail -5 "$scratch/bench.out")" >&2
    exit 1
  fi
}
# measure PATH HOST PORT: pingpong then churn; one line "PATH rt/s p50 p99 conn/s errors" appended to $scratch/rows.
measure() {
  local pp="$scratch/pp.json" ch="$scratch/ch.json"
  bench "$2" "$3" pingpong "$pp"
  bench "$2" "$3" churn "$ch"
  echo "$1 $(json roundTripsPerSecond "$pp" | cut -d. -f1) $(json p50 "$pp") $(json p99 "$pp") $(json connectionsPerSecond "$ch" | cut -d. -f1)" \
    "$(($(json errors "$pp") + $(json errors "$ch") + $(json timeouts "$pp") + $(json timeouts "$ch")))" >>"$scratch/rows"
}

# Hosts 0-2 serve behind HAProxy; host 3 runs the same reverb without --proxy-protocol for the direct baseline.
# shellcheck disable=SC2046
for n in 0 1 2; do start_instance $n $(behind_haproxy $n); done
start_instance 3
wait_tcp "$(addr 3)" 7
read -r load _ </proc/loadavg
echo "# fleet: reverb --model $model, each instance in its own network namespace; HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }') and the load"
echo "# generator in a balancer namespace (veth pairs, 198.18.$subnet.0/24); $(nproc) cores, load average $load at the start; $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "# reverb bench, ${secs}s per run after 1s warm-up, $conns connections, $size-byte messages, every echo verified;"
echo "# $rounds rounds, the three paths taking turns in each; medians of the rounds (errors: the sum)"
for ((r = 1; r <= rounds; r++)); do
  measure direct "$(addr 3)" 7
  for count in 1 3; do
    start_haproxy $count
    measure "haproxy$count" 127.0.0.1 7
    stop_haproxy
  done
done
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
echo
echo "| path | pingpong round trips/s | p50 µs | p99 µs | churn connections/s | errors |"
echo "|---|---|---|---|---|---|"
for path in direct haproxy1 haproxy3; do
  case $path in
    direct) label="direct to 1 instance (no HAProxy)" ;;
    haproxy1) label="HAProxy → 1 instance" ;;
    haproxy3) label="HAProxy → 3 instances" ;;
  esac
  row="| $label"
  for col in 2 3 4 5; do row+=" | $(awk -v p="$path" -v c="$col" '$1 == p { print $c }' "$scratch/rows" | median)"; done
  echo "$row | $(awk -v p="$path" '$1 == p { e += $6 } END { print e + 0 }' "$scratch/rows") |"
done
