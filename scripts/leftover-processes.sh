#!/usr/bin/env bash
# leftover-processes.sh MARK: name and end every process whose environment carries
# CLASSEDGE_TEST_RUN=MARK (what a test run started and did not end); exit 1 if there was any.
set -uo pipefail
# Look from a process that does not carry the mark itself (nor do the subshells it forks).
if [ -n "${CLASSEDGE_TEST_RUN:-}" ]; then exec env -u CLASSEDGE_TEST_RUN bash "$0" "$@"; fi
mark="CLASSEDGE_TEST_RUN=$1"
self=$$
find_left() {
  local pid
  for env in /proc/[0-9]*/environ; do
    pid="${env#/proc/}"; pid="${pid%/environ}"
    [ "$pid" = "$self" ] || [ "$pid" = "$PPID" ] && continue
    if { tr '\0' '\n' <"$env"; } 2>/dev/null | grep -qxF "$mark"; then echo "$pid"; fi
  done
}
sleep 1 # children that are exiting right now
left="$(find_left)"
[ -z "$left" ] && exit 0
echo "processes started by the test run are still alive after it:" >&2
for p in $left; do echo "  $p: $({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | cut -c1-200)" >&2; done
kill -TERM $left 2>/dev/null
sleep 3
kill -KILL $(find_left) 2>/dev/null
echo "ended them; the run fails (find the test that started them and end them there)" >&2
exit 1
