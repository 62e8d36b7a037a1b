#!/usr/bin/env bash
# install-node.sh DEST: the project's Node (the version in .node-version, 24 LTS) into DEST, from the
# npm registry's node-linux-<arch> package with its pinned integrity. On a box:
#   bash scripts/install-node.sh /opt/classedge/node     (the systemd unit runs /opt/classedge/node/bin/node)
source "$(dirname "$0")/lib.sh"
[ $# -eq 1 ] || { echo "usage: install-node.sh DEST" >&2; exit 2; }
install_pinned_node "$1"
"$1/bin/node" --version
