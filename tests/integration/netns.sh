#!/usr/bin/env bash
# Runs a command inside a private network namespace made for this test run: lo up, plus a veth
# pair v0 (10.77.0.1) / v1 (10.77.0.2) that exists only inside it. janus 1.1.2 skips loopback
# interfaces when gathering ICE candidates, so janus gathers on v0 and peers on v0/v1; no
# traffic ever leaves the namespace, and ports cannot clash with anything on the host.
set -euo pipefail
if [ -z "${SYLK_NETNS:-}" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    exec unshare --net -- env SYLK_NETNS=1 "$0" "$@"
  else
    exec unshare --map-root-user --net -- env SYLK_NETNS=1 "$0" "$@"
  fi
fi
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add 10.77.0.1/24 dev v0
ip addr add 10.77.0.2/24 dev v1
ip link set v0 up
ip link set v1 up
exec "$@"
