#!/usr/bin/env bash
# Quick start: install everything and run the appliance in demo mode with simulated devices.
source "$(dirname "$0")/lib.sh"
# socat makes the pseudo-terminal pair the simulated RS-485 sensors sit behind.
ensure_debian socat espeak-ng sox
ensure_node_modules
build_if_stale
exec node bin/classedge.js start --demo "$@"
