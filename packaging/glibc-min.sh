#!/bin/sh
# Prints the newest glibc symbol version a binary needs (e.g. 2.34): the
# package's libc6 dependency, so apt refuses a host whose glibc is older.
set -e
objdump -T "$1" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -1
