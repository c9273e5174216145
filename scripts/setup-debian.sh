#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what dyntable needs on Debian 12 to build, run and test, and the
# pinned dynalite (tests/tools/package-lock.json). Idempotent; run as root
# or with sudo available. Set DYNTABLE_SETUP_TEST=1 for the test extras.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi

pkgs=(build-essential cmake ninja-build pkg-config
      libevent-dev libcurl4-openssl-dev libssl-dev libmsgpack-dev
      libjansson-dev libsystemd-dev libinih-dev libexpat1-dev libcmocka-dev
      zlib1g-dev)
if [ "${DYNTABLE_SETUP_TEST:-0}" = 1 ]; then
  # jq reads JSON in the CLI tests; curl talks to the test proxy's control
  # API and dynalite; awscli cross-checks what we create; util-linux's
  # setpriv runs clients as another uid; valgrind and clang run the
  # memory-checked and fuzzing jobs.
  pkgs+=(jq curl awscli util-linux valgrind clang libclang-rt-14-dev systemd
         python3)
  # e2e.metrics: promtool checks the exposition, the prometheus server
  # scrapes the daemon once, python3-prometheus-client parses OpenMetrics
  # strictly.
  pkgs+=(prometheus python3-prometheus-client)
  # scripts/lint.sh: cppcheck 2.10 and clang-tidy 14 (run-clang-tidy-14).
  pkgs+=(cppcheck clang-tidy-14)
  # ctest man: mandoc -T lint on the manual pages (col is bsdextrautils').
  pkgs+=(mandoc bsdextrautils)
  # e2e.completion drives dyntablectl's completion in each shell.
  pkgs+=(bash zsh fish)
  # scripts/package-test.sh: the Debian packages built (dh + cmake),
  # checked by lintian, installed and purged.
  pkgs+=(dpkg-dev debhelper lintian)
  # The Python client (client/python): its one dependency, its tests
  # (pytest, xdist, asyncio), boto3 for its examples, and what
  # `pip install` of it needs offline (setuptools, wheel, pip, venv).
  pkgs+=(python3-msgpack python3-pytest python3-pytest-xdist
         python3-pytest-asyncio python3-boto3 python3-setuptools
         python3-wheel python3-pip python3-venv)
fi
# Node.js (>= 20 for dynalite 4) may come from elsewhere; only add Debian's
# when there is none at all.
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
  # Debian's prometheus package starts a server on every interface
  # (:9090); the tests start their own on loopback, so a server this
  # script installed is stopped and disabled again.
  if [[ " ${missing[*]} " == *" prometheus "* ]] && [ -d /run/systemd/system ]; then
    $sudo systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
fi

if [ ! -d tests/tools/node_modules/dynalite ]; then
  echo "setup: installing dynalite (pinned by tests/tools/package-lock.json)"
  npm ci --prefix tests/tools --no-audit --no-fund
fi

# The Node.js client (client/node) and its Jest example, pinned by their
# package-lock.json files; again whenever a lock file is newer.
for d in client/node client/node/examples/jest; do
  if [ -f "$d/package-lock.json" ] && [ "$d/package-lock.json" -nt "$d/node_modules/.package-lock.json" ]; then
    echo "setup: npm ci in $d"
    npm ci --prefix "$d" --no-audit --no-fund
  fi
done
