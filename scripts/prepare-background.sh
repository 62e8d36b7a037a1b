#!/usr/bin/env bash
# What the demo can start without, prepared while it runs (started detached by demo.sh; its log is
# ~/.cache/classedge/prepare-background.log). A second demo start while this still runs waits on
# the same locks instead of doing the work twice.
source "$(dirname "$0")/lib.sh"
# espeak-ng and sox synthesise the demo's lesson recording (the microphones wait for it); ffmpeg
# feeds the classroom camera; arecord is the ALSA microphones' capture; python3-skimage's
# photographs are the simulated camera's scenes; openssl makes the certificate of `classedge tls`.
phase apt-optional ensure_debian espeak-ng sox ffmpeg alsa-utils python3-skimage openssl
# The SFU's worker compiles from mediasoup's sources (demo.sh starts this job after npm install).
phase media-worker nice -n 19 bash scripts/build-mediasoup-worker.sh >/dev/null
