#!/usr/bin/env bash
# Quick start: install everything and run the appliance in demo mode with simulated devices.
# What a first start needs comes first (Node, socat, node modules, the build); what only some tabs
# need (the lesson recording's espeak-ng and sox, ffmpeg, arecord, the remote lessons' media worker)
# is prepared in the background while the appliance already serves the kiosk, which shows
# "being prepared" until each part is ready.
source "$(dirname "$0")/lib.sh"
# socat makes the pseudo-terminal pairs the simulated RS-485 sensors, panel and thermometer sit
# behind; build-essential and python3 let node-gyp compile better-sqlite3 during npm install.
ensure_node_modules socat
start_background_preparation
phase build build_if_stale
exec node bin/classedge.js start --demo "$@"
