#!/usr/bin/env bash
# Installs what Tegami needs to build and run (Debian 12, as root). Used by both README commands.
# Usage: scripts/setup.sh [--test]   (--test adds the real clients and tools the tests use)
set -euo pipefail

build_pkgs=(cmake ninja-build g++ ccache mold pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libsqlite3-dev libsodium-dev libicu-dev libfmt-dev zlib1g-dev
  libunbound-dev libpsl-dev libcurl4-openssl-dev libjemalloc-dev
  libgtest-dev libgmock-dev openssl ca-certificates)
test_pkgs=(python3 swaks libnet-ssleay-perl isync curl clang-14 libclang-rt-14-dev procps iproute2 unbound clang-format python3-dkim python3-nacl neomutt ldnsutils)

pkgs=("${build_pkgs[@]}")
if [[ "${1:-}" == "--test" ]]; then pkgs+=("${test_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
