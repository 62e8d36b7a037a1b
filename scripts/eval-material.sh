#!/usr/bin/env bash
# The head count's evaluation material that is not installed with the test packages: the
# photographs of kphotoalbum's demo album and of opencv-doc's samples (firmware-bridge/sim/class-scenes.ts).
# Only their files are needed, so the two packages are downloaded and unpacked under the cache, not
# installed (kphotoalbum would bring all of KDE). Idempotent: a package already unpacked at the
# candidate version is left alone.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
dest="${XDG_CACHE_HOME:-$HOME/.cache}/classedge/debian-files"
mkdir -p "$dest"
for entry in kphotoalbum:usr/share/kphotoalbum/demo opencv-doc:usr/share/doc/opencv-doc/examples/data; do
  pkg="${entry%%:*}"
  dir="${entry#*:}"
  version="$(apt-cache policy "$pkg" 2>/dev/null | awk '/Candidate:/ { print $2 }')"
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    if [ "$APT_UPDATED" -eq 0 ]; then as_root apt-get update -qq -o DPkg::Lock::Timeout=900; export APT_UPDATED=1; fi
    version="$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')"
  fi
  [ -f "$dest/$pkg.version" ] && [ "$(cat "$dest/$pkg.version")" = "$version" ] && continue
  tmp="$(mktemp -d)"
  # apt's download user cannot write into a directory only root can.
  chmod 777 "$tmp"
  (cd "$tmp" && apt-get download -qq "$pkg=$version" >/dev/null)
  rm -rf "${dest:?}/$pkg"
  mkdir -p "$dest/$pkg"
  # Only the pictures' folder (opencv-doc is 300 MB unpacked, its samples' data 20 MB).
  dpkg-deb --fsys-tarfile "$tmp"/"$pkg"_*.deb | tar -x -C "$dest/$pkg" "./$dir"
  rm -rf "$tmp"
  echo "$version" >"$dest/$pkg.version"
  echo "eval-material: unpacked $pkg $version into $dest/$pkg" >&2
done
