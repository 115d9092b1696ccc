#!/usr/bin/env bash
# Builds the reference C servers and the independent load generator from ../shared/anchors
# into a scratch folder and prints that folder. Nothing here is part of the product.
set -euo pipefail
src="$(cd "$(dirname "$0")/../.." && pwd)/shared/anchors"
out="${ANCHORS_OUT:-/tmp/reverb-anchors}"
mkdir -p "$out"
gcc -O2 -Wall -o "$out/classic_fork_server" "$src/classic_fork_server.c"
gcc -O2 -Wall -pthread -o "$out/epoll_echo" "$src/epoll_echo.c"
gcc -O2 -Wall -pthread -o "$out/echoload" "$src/echoload.c"
echo "$out"
