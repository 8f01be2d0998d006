#!/bin/sh
# Prints the Debian version of this checkout: the tag without its "v"
# (v1.2.3 → 1.2.3, 3 commits later → 1.2.3+3.gabcdef0), or, before the first
# tag, 0.1.0~git<commit date>.<commit>.
set -e
if v=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
	echo "${v#v}" | sed 's/-\([0-9][0-9]*\)-g/+\1.g/'
else
	echo "0.1.0~git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short HEAD)"
fi
