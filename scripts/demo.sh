#!/usr/bin/env bash
# Quick start: install everything and run the appliance in demo mode with simulated devices.
source "$(dirname "$0")/lib.sh"
# socat makes the pseudo-terminal pair the simulated RS-485 sensors sit behind.
phase apt ensure_debian socat espeak-ng sox
phase npm-install ensure_node_modules
# Remote lessons: the SFU's worker (built once, minutes; cached) and ffmpeg for the classroom camera.
phase apt ensure_debian ffmpeg
phase media-worker ensure_mediasoup_worker
phase build build_if_stale
exec node bin/classedge.js start --demo "$@"
