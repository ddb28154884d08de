#!/bin/sh
# Fails when docs/syscalls.md is not what the syscall table generates.
# usage: check-syscalls-doc.sh GEN_SYSCALLS_DOC DOCS_SYSCALLS_MD
set -eu
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
"$1" "$tmp"
if ! cmp -s "$tmp" "$2"; then
    echo "docs/syscalls.md is stale: run 'ninja -C build syscalls-doc'" >&2
    diff -u "$2" "$tmp" | head -40 >&2
    exit 1
fi
echo "docs/syscalls.md matches the table"
