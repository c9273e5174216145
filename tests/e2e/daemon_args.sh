#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the daemon that harness.sh starts with extra options: set
#   DYNTABLE_TEST_WRAPPER="bash daemon_args.sh OPTION... --"
# and the harness's `$WRAPPER DAEMON --socket ...` becomes
# `DAEMON --socket ... OPTION...`. exec keeps the daemon's pid the one the
# harness signals. (It replaces any other wrapper, such as valgrind.)
extra=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
	extra+=("$1")
	shift
done
shift
exec "$@" "${extra[@]}"
