#!/usr/bin/env bash
# Builds Tegami and starts it in development mode: loopback, each standard port + 10000,
# a self-signed certificate, data in ./dev-data, and a demo account whose settings it prints.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build tegami
exec ./build/src/app/tegami serve --dev --data ./dev-data "$@"
