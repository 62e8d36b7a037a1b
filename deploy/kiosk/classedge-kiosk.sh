#!/bin/sh
# The teacher panel's browser: Chromium in kiosk mode on the appliance's local URL, started once the
# appliance answers its health check (so the panel never shows a connection error at boot).
# Run it in the kiosk user's graphical session (deploy/kiosk/classedge-kiosk.service, or any
# autostart). Environment:
#   CLASSEDGE_KIOSK_URL      default http://127.0.0.1:8080/ (the plain listener, which stays on loopback when http.tls is on)
#   CLASSEDGE_KIOSK_BROWSER  default: chromium, else chromium-browser
#   CLASSEDGE_KIOSK_WAIT_S   how long to wait for the appliance, default 300
#   CLASSEDGE_KIOSK_PROFILE  browser profile directory, default $HOME/.cache/classedge-kiosk
#   CLASSEDGE_KIOSK_DRY_RUN  1: print the browser command instead of running it
set -eu

url="${CLASSEDGE_KIOSK_URL:-http://127.0.0.1:8080/}"
wait_s="${CLASSEDGE_KIOSK_WAIT_S:-300}"
profile="${CLASSEDGE_KIOSK_PROFILE:-${HOME:-/tmp}/.cache/classedge-kiosk}"
browser="${CLASSEDGE_KIOSK_BROWSER:-}"
if [ -z "$browser" ]; then
  for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
  done
fi
[ -n "$browser" ] || { echo "classedge-kiosk: no Chromium found (apt-get install chromium)" >&2; exit 1; }

health="${url%/}/api/v1/health"
waited=0
# Node is on every ClassEdge box; it does the HTTP check so no curl is needed. Over HTTPS (http.tls)
# the certificate is not checked here: this only asks whether the box's own service answers.
until node -e "const u=process.argv[1];require(u.startsWith('https:')?'node:https':'node:http').get(u,{rejectUnauthorized:false,timeout:2000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))" "$health" 2>/dev/null; do
  if [ "$waited" -ge "$wait_s" ]; then
    echo "classedge-kiosk: the appliance did not answer at $health within ${wait_s}s" >&2
    exit 1
  fi
  sleep 1
  waited=$((waited + 1))
done

mkdir -p "$profile"
set -- "$browser" --kiosk --app="$url" --user-data-dir="$profile" \
  --no-first-run --noerrdialogs --disable-infobars --disable-translate \
  --disable-session-crashed-bubble --disable-features=TranslateUI \
  --overscroll-history-navigation=0 --check-for-update-interval=31536000 \
  --autoplay-policy=no-user-gesture-required
if [ "${CLASSEDGE_KIOSK_DRY_RUN:-0}" = 1 ]; then
  printf '%s\n' "$@"
  exit 0
fi
exec "$@"
