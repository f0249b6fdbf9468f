#!/bin/sh
# Every source file with translatable strings must be listed in po/POTFILES.in, and every listed
# file must exist.
# SPDX-License-Identifier: GPL-3.0-or-later
cd "$1" || exit 1
status=0
files=$( (grep -rlE '(^|[^A-Za-z0-9_])(N?_|C_|NC_)\(|translatable="yes"|gettext-domain' \
          app core widgets resources data --include='*.c' --include='*.ui' --include='*.xml' \
          --include='*.in' | sort; ls data/*.desktop.in data/*.metainfo.xml.in) | sort -u)
for f in $files; do
  if ! grep -qx "$f" po/POTFILES.in; then
    echo "missing from po/POTFILES.in: $f"; status=1
  fi
done
for f in $(grep -v '^#' po/POTFILES.in | grep -v '^$'); do
  [ -f "$f" ] || { echo "listed in po/POTFILES.in but missing: $f"; status=1; }
done
[ $status -eq 0 ] && echo "po/POTFILES.in covers $(echo "$files" | wc -l) files"
exit $status
