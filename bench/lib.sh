# Helpers shared by bench/fork-vs-classic.sh, bench/soak.sh and bench/chaos.sh (sourced, not run).
# They read /proc and ps; nothing here starts load or servers by itself.

# Common set-up of the load scripts: echoload and the C servers built into SCRATCH ($load is echoload),
# REVERB_CMD resolved, the descriptor limit raised.
prepare_load() {
  ANCHORS_OUT="$1" bench/anchors.sh >/dev/null
  load="$1/echoload"
  resolve_reverb
  raise_nofile
}

# REVERB_CMD: the reverb to run, as an array. REVERB may be a path or a command line such as
# "dotnet /path/reverb.dll"; default artifacts/aot/reverb, published with NativeAOT if missing.
resolve_reverb() {
  if [[ -n ${REVERB:-} ]]; then
    read -ra REVERB_CMD <<<"$REVERB"
  else
    if [[ ! -x artifacts/aot/reverb ]]; then
      echo "publishing reverb with NativeAOT into artifacts/aot ..." >&2
      dotnet publish src/Reverb -c Release -o artifacts/aot >/dev/null
    fi
    REVERB_CMD=("$PWD/artifacts/aot/reverb")
  fi
}

# The process and all its descendants, one pid a line (one ps call, so a large tree is cheap to walk).
tree_pids() {
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      keep[root] = 1; print root; grew = 1
      while (grew) {
        grew = 0
        for (i = 1; i <= NR; i++) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; print p; grew = 1 } }
      }
    }'
}

# "PROCS RSS_KIB PSS_KIB FDS" summed over a process tree (PSS from smaps_rollup: shared pages split fairly).
# One awk reads every smaps_rollup with getline, which skips a process that exited meanwhile (awk would stop at
# a missing file argument); xargs keeps the ls command lines short however large the tree.
tree_usage() {
  local pids
  pids=$(tree_pids "$1")
  {
    awk '{ f = "/proc/" $1 "/smaps_rollup"
           while ((getline line < f) > 0) { split(line, a, " "); if (a[1] == "Rss:") r += a[2]; else if (a[1] == "Pss:") s += a[2] }
           close(f) }
         END { print "mem", r + 0, s + 0 }' <<<"$pids"
    # shellcheck disable=SC2016
    sed 's|.*|/proc/&/fd|' <<<"$pids" | xargs -r sh -c 'ls -U "$@" 2>/dev/null | grep -c "^[0-9]"' sh || true
  } | awk -v procs="$(wc -w <<<"$pids")" '
    $1 == "mem" { r += $2; s += $3; next }
    { f += $1 }
    END { print procs, r + 0, s + 0, f + 0 }'
}

# A port with no socket at all on it (listening, connected or in TIME_WAIT), from a random start, so servers
# without SO_REUSEADDR (the classic one) can bind it and runs do not trip over each other's leftovers.
free_port() {
  local p
  for _ in $(seq 100); do
    p=$((20000 + RANDOM % 12000))
    [[ -z $(ss -Htan "( sport = :$p )" 2>/dev/null) ]] && { echo "$p"; return 0; }
  done
  return 1
}

wait_port() { # PORT [TRIES of 50 ms]
  local i
  for ((i = 0; i < ${2:-400}; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# The value of KEY=... in the text on stdin (echoload's RESULT line).
field() { grep -o "\b$1=[^ ]*" | head -1 | cut -d= -f2; }

# SIGTERM the process, wait up to SECONDS (default 10), then SIGKILL whatever is left of its tree.
# Fork-per-client servers leave their children running when the parent goes, so the tree is taken first.
stop_tree() {
  local root=$1 secs=${2:-10} pids i
  kill -0 "$root" 2>/dev/null || return 0
  pids=$(tree_pids "$root")
  kill -TERM "$root" 2>/dev/null || true
  for ((i = 0; i < secs * 20; i++)); do kill -0 "$root" 2>/dev/null || break; sleep 0.05; done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
  wait "$root" 2>/dev/null || true
  # Thousands of killed processes take a moment to go: wait (bounded) until none is left.
  for ((i = 0; i < 200; i++)); do
    # shellcheck disable=SC2086
    ps -o pid= -p "$(tr '\n' ',' <<<"$pids" | sed 's/,$//')" >/dev/null 2>&1 || break
    sleep 0.05
  done
}

# Sockets in TIME_WAIT, from /proc/net/sockstat.
time_wait() { awk '/^TCP:/ { for (i = 1; i < NF; i++) if ($i == "tw") print $(i + 1) }' /proc/net/sockstat; }

# Waits (at most SECONDS, default 75) until fewer than LIMIT (default 3000) sockets are in TIME_WAIT, so one short-
# connection run does not start with the previous one's leftovers; prints how long it waited.
drain_time_wait() {
  local limit=${1:-3000} secs=${2:-75} start=$SECONDS
  while (($(time_wait) >= limit && SECONDS - start < secs)); do sleep 1; done
  echo "$((SECONDS - start))"
}

# Raises the descriptor limit of this shell and its children (as root the hard limit too); call it directly, not in $(...).
raise_nofile() {
  local want=${1:-1048576}
  if ((EUID == 0)) && ! ulimit -Hn "$want" 2>/dev/null; then
    echo "note: could not raise the descriptor limit to $want (no CAP_SYS_RESOURCE here); it stays $(ulimit -Hn)" >&2
  fi
  ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
}

# Names the failing command and line when `set -e` ends a script.
trap_errors() { set -E; trap 'echo "${0##*/}: line $LINENO: \"$BASH_COMMAND\" failed" >&2' ERR; }
