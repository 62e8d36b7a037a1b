#!/usr/bin/env bash
# Quick start: install everything and run the appliance in demo mode with simulated devices.
source "$(dirname "$0")/lib.sh"
# socat makes the pseudo-terminal pair the simulated RS-485 sensors sit behind.
ensure_debian socat espeak-ng sox
ensure_node_modules
# Remote lessons: the SFU's worker (built once, minutes; cached) and ffmpeg for the classroom camera.
ensure_debian ffmpeg
ensure_mediasoup_worker
build_if_stale
exec node bin/classedge.js start --demo "$@"
