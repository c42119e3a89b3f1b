#!/bin/sh
# Makes a fresh Debian/Ubuntu checkout ready for `npm run demo`, `npm test` and `npm run bench`:
# installs npm packages when missing or stale, redis-server (>= 7) and, for the tests, mariadb-server
# and chromium with apt-get when missing and running as root. Otherwise it stops with one sentence that says what to run.
set -e
cd "$(dirname "$0")/.."

major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "kickass-redis needs Node.js 20 or newer (found $(node --version)): install it, then run this command again." >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm packages (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

# The sync's tests, bench and tour start a private MariaDB (a temp datadir with a ROW binlog): its
# server, install script and client must be installed (they are not started as services by this script).
if [ "$1" = "test" ] || [ "$1" = "bench" ] || [ "$1" = "demo" ]; then
  if ! command -v mariadb-install-db >/dev/null 2>&1 || ! command -v mariadb >/dev/null 2>&1 || { ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; }; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "setup: installing mariadb-server with apt-get" >&2
      apt-get update -qq >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >&2
    else
      echo "MariaDB is not installed: run 'sudo apt-get install -y mariadb-server mariadb-client' (the sync's tests, bench and tour start their own server), then run this command again." >&2
      exit 1
    fi
  fi
fi

# The dashboard's browser tests drive Debian's Chromium (headless, through playwright-core).
if [ "$1" = "test" ] && ! command -v "${CHROMIUM_BIN:-chromium}" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing chromium with apt-get (for the dashboard's browser tests)" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "Chromium is not installed: run 'sudo apt-get install -y chromium' (the dashboard's browser tests drive it), or set CHROMIUM_BIN, then run this command again." >&2
    exit 1
  fi
fi

# Servers are needed unless the caller points at its own (REDIS_URL, plus REDIS_CLUSTER_NODES for tests).
if [ -n "$REDIS_URL" ] && { [ "$1" = "demo" ] || [ -n "$REDIS_CLUSTER_NODES" ]; }; then
  exit 0
fi

server=${REDIS_SERVER_BIN:-redis-server}
if ! command -v "$server" >/dev/null 2>&1 || ! command -v "${REDIS_CLI_BIN:-redis-cli}" >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing redis-server with apt-get" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >&2
  else
    echo "redis-server is not installed: run 'sudo apt-get install -y redis-server' (Redis 7 or newer), then run this command again." >&2
    exit 1
  fi
fi

version=$("$server" --version | sed -n 's/.* v=\([0-9]*\)\..*/\1/p')
if [ -z "$version" ] || [ "$version" -lt 7 ]; then
  echo "kickass-redis needs redis-server 7 or newer (found $("$server" --version | cut -d' ' -f3)): install Redis 7+ and set REDIS_SERVER_BIN to it, then run this command again." >&2
  exit 1
fi

# The search bench reads Debian's long package descriptions (apt's English translations, which
# container images often skip); fetch them once when they are missing and we may.
if [ "$1" = "bench" ] && command -v apt-get >/dev/null 2>&1 && ! ls /var/lib/apt/lists/*_i18n_Translation-en* >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    echo "setup: fetching Debian's package descriptions (apt-get update with English translations)" >&2
    apt-get -o Acquire::Languages=en update -qq >&2 || echo "setup: could not fetch them; the search bench uses one-line descriptions" >&2
  else
    echo "setup: apt has no English translations; the search bench uses one-line descriptions (run 'sudo apt-get -o Acquire::Languages=en update' for the full ones)" >&2
  fi
fi
