#!/usr/bin/env bash
# Installs every Debian package mamori needs and builds it (Release, warnings as errors) into
# ./build. Idempotent. docs/dependencies.md says why each package is here.
#
#   scripts/setup.sh            packages for building and running, then build
#   scripts/setup.sh --test     also the packages the test suite and benchmarks use
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
for arg in "$@"; do
  case "$arg" in
    --test) want_tests=1 ;;
    -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

packages=(
  build-essential cmake ninja-build pkg-config
  libssl-dev            # Ed25519 signatures, AES (Crypto-PAn), SHA-256
  libpcap-dev           # pcap/pcapng files and live capture
  libvectorscan-dev     # payload pattern criteria, detection signatures (Hyperscan API)
  libtomlplusplus-dev   # policy files (detect noise policy)
  libsqlite3-dev        # hub: embedded database (the default)
  libpq-dev             # hub: PostgreSQL
  libsodium-dev         # hub: Argon2id password hashes
  libcpp-httplib-dev    # hub: HTTP server; --hub clients
  nlohmann-json3-dev    # JSON orders, records, ledger
  libfmt-dev            # formatting
  libcli11-dev          # command line
  libgtest-dev libgmock-dev  # unit and end-to-end tests
  libbenchmark-dev      # micro-benchmarks
)
if [ "$want_tests" = 1 ]; then
  packages+=(
    clang libclang-rt-14-dev   # libFuzzer targets, ASan/UBSan build
    tshark tcpdump             # peers in bench/, capture cross-checks in tests
    iproute2                   # network namespaces for live-capture tests
    time                       # peak memory in bench/
    python3                    # reading JSON results in bench/ scripts
    postgresql                 # hub tests run against a real PostgreSQL server too
    wrk                        # hub benchmark
    libmodsecurity-dev modsecurity-crs  # detection benchmark peer: ModSecurity v3 + OWASP CRS
    chromium                   # console end-to-end tests (Playwright drives the system browser)
    nsd knot knot-dnsutils dnsutils unbound dnsdist dnsperf  # protective DNS: e2e authoritative server, dig/kdig, bench peers
  )
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DMAMORI_WERROR=ON
cmake --build build
echo "setup: built build/mamori"

# The web console (console/, docs/console.md), served by `mamori hub`: Vite 7 needs Node.js
# 20.19+ or 22.12+ with npm (Debian 12's own nodejs is 18; NodeSource's package works).
if ! command -v npm >/dev/null 2>&1 || ! node -e '
  const [a, b] = process.versions.node.split(".").map(Number);
  process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1);'; then
  echo "setup: the web console needs Node.js 20.19+ or 22.12+ and npm" \
       "(found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
(cd console && npm ci --no-audit --no-fund && npm run build)
echo "setup: built console/dist"
