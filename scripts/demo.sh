#!/usr/bin/env bash
# Quick start: install everything and run the appliance in demo mode with simulated devices.
source "$(dirname "$0")/lib.sh"
ensure_node_modules
build_if_stale
exec node bin/classedge.js start --demo "$@"
