#!/usr/bin/env bash
# Builds Reverb's container image (deploy/Containerfile) from the NativeAOT binary, with nothing
# pulled from a registry: the image's whole root filesystem is collected here, into the build context.
#
# Usage: deploy/container/build.sh [-t TAG]... [-b BINARY] [-- ARGS for `buildah build` / `podman build`]
#   TAG     default reverb:VERSION and reverb:latest, VERSION being what the binary's --version prints
#   BINARY  default artifacts/aot/reverb, published first (dotnet publish) when missing
# The builder is buildah, else podman (REVERB_IMAGE_BUILDER=podman to choose). Their storage comes from
# containers-storage.conf(5) (CONTAINERS_STORAGE_CONF to point elsewhere). Prints the image id last.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
tags=() binary=""
while (( $# )); do
  case "$1" in
    -t) tags+=(--tag "$2"); shift 2 ;;
    -b) binary="$2"; shift 2 ;;
    --) shift; break ;;
    *) echo "usage: $0 [-t TAG] [-b BINARY] [-- BUILDER-ARGS]" >&2; exit 2 ;;
  esac
done

if [[ -z "$binary" ]]; then
  binary="$repo/artifacts/aot/reverb"
  [[ -x "$binary" ]] || dotnet publish "$repo/src/Reverb" -c Release -o "$repo/artifacts/aot" >&2
fi
[[ -x "$binary" ]] || { echo "$0: $binary is not an executable" >&2; exit 2; }
# `reverb --version` prints "reverb 0.9.0+COMMIT": the image's tag and version label.
version="$("$binary" --version | awk '{ print $NF }')"
(( ${#tags[@]} )) || tags=(--tag "reverb:${version%%+*}" --tag reverb:latest)

builder="${REVERB_IMAGE_BUILDER:-}"
if [[ -z "$builder" ]]; then
  if command -v buildah >/dev/null; then builder=buildah; elif command -v podman >/dev/null; then builder=podman
  else echo "$0: buildah or podman is needed (apt-get install buildah)" >&2; exit 2; fi
fi

context="$(mktemp -d "${TMPDIR:-/tmp}/reverb-image.XXXXXX")"
trap 'rm -rf "$context"' EXIT
rootfs="$context/rootfs"
mkdir -p "$rootfs/etc" "$rootfs/tmp"
chmod 1777 "$rootfs/tmp"
install -m 0755 "$binary" "$rootfs/reverb"

# The shared libraries the dynamic loader maps for the binary, each at the path it is found at here
# ("libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)", and the loader itself, "/lib64/ld-linux-x86-64.so.2 (0x...)").
# NativeAOT links the runtime in; with InvariantGlobalization no ICU is opened later either.
ldd_output="$(ldd "$binary")"
if grep -q "not found" <<<"$ldd_output"; then
  echo "$0: a library of $binary is missing:" >&2; echo "$ldd_output" >&2; exit 1
fi
while read -r library; do
  mkdir -p "$rootfs$(dirname "$library")"
  cp -L "$library" "$rootfs$library"
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$ldd_output")
# glibc's licence travels with glibc.
if [[ -f /usr/share/doc/libc6/copyright ]]; then
  install -D -m 0644 /usr/share/doc/libc6/copyright "$rootfs/usr/share/doc/libc6/copyright"
fi

# The user of the Containerfile's USER line, so that tools show a name; no password, no shell.
printf 'root:x:0:0:root:/:/sbin/nologin\nreverb:x:7007:7007:reverb echo server:/:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nreverb:x:7007:\n' >"$rootfs/etc/group"

"$builder" build --file "$repo/deploy/Containerfile" "${tags[@]}" --build-arg "VERSION=$version" \
  --iidfile "$context/image-id" "$@" "$context" >&2
cat "$context/image-id"; echo
