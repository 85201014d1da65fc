#!/usr/bin/env bash
# Everything `npm start` and `npm test` need on a fresh machine: dependencies,
# the Prisma client, Postgres and Redis answering, a local .env, migrations.
# Usage: scripts/bootstrap.sh [--test]
set -euo pipefail
cd "$(dirname "$0")/.."
MODE="${1:-start}"
say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = "0" ]; }
apt_install() {
  if is_root && command -v apt-get >/dev/null; then
    say "installing $* from Debian packages"
    if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

# 1. dependencies: npm ci (exactly the lockfile) unless node_modules is from this very lockfile
if [ -L node_modules ]; then
  # a linked node_modules (a git worktree sharing another checkout's) is that checkout's to install
  say "node_modules is a link to $(readlink node_modules): not reinstalling it"
elif [ ! -f node_modules/.package-lock.json ] || ! cmp -s package-lock.json .bootstrap-stamp 2>/dev/null; then
  say "installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json .bootstrap-stamp
fi

# 2. Prisma client (the CLI's native schema engine is not needed to generate)
if [ ! -f src/generated/prisma/client.ts ] || [ prisma/schema.prisma -nt src/generated/prisma/client.ts ]; then
  say "generating the Prisma client"
  PRISMA_SCHEMA_ENGINE_BINARY="${PRISMA_SCHEMA_ENGINE_BINARY:-$(type -P true)}" PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate >/dev/null
fi

# 2b. the console's script, bundled from its typed sources (src/api/console/browser)
node scripts/build-console.mjs >/dev/null

# 3. a local .env for `npm start` (random secrets, sandbox-friendly defaults)
if [ "$MODE" != "--test" ] && [ ! -f .env ]; then
  say "writing .env with fresh ADMIN_TOKEN and MASTER_KEY"
  {
    echo "ADMIN_TOKEN=$(node -e 'console.log(require("crypto").randomBytes(24).toString("base64url"))')"
    echo "MASTER_KEY=$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
    echo "WEBHOOK_ALLOW_PRIVATE_URLS=true"
  } > .env
fi
[ -f .env ] && set -a && . ./.env && set +a

if [ "$MODE" = "--test" ]; then
  export DATABASE_URL="${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/kyc_gateway_test}"
else
  export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/kyc_gateway}"
fi
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
PGHOST_PORT=$(node -e 'const u=new URL(process.env.DATABASE_URL);console.log(u.hostname+" "+(u.port||5432))')
REDIS_HOST_PORT=$(node -e 'const u=new URL(process.env.REDIS_URL);console.log(u.hostname+" "+(u.port||6379))')
tcp_open() { node -e 'const s=require("net").connect(+process.argv[2],process.argv[1]);s.on("connect",()=>process.exit(0));s.on("error",()=>process.exit(1));setTimeout(()=>process.exit(1),1500)' $1 $2; }
local_host() { case "$1" in 127.0.0.1|localhost|::1) return 0;; *) return 1;; esac; }

# 4. Postgres
if ! tcp_open $PGHOST_PORT; then
  read -r host port <<<"$PGHOST_PORT"
  local_host "$host" || { say "Postgres at $host:$port does not answer; start it or fix DATABASE_URL"; exit 1; }
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql || { say "Postgres is not installed. Install it (Debian: sudo apt-get install postgresql) or set DATABASE_URL"; exit 1; }
    FRESH_PG=1
  fi
  ver=$(ls /etc/postgresql | sort -n | tail -1)
  if [ "${FRESH_PG:-0}" = "1" ]; then
    # local development only: trust loopback connections, as the default DATABASE_URL expects
    sed -i -E 's/^(host\s+all\s+all\s+(127\.0\.0\.1\/32|::1\/128)\s+)\S+/\1trust/' /etc/postgresql/$ver/main/pg_hba.conf
  fi
  say "starting Postgres $ver"
  if is_root; then pg_ctlcluster --skip-systemctl-redirect "$ver" main start || true
  else pg_ctlcluster "$ver" main start || { say "could not start Postgres: run 'sudo pg_ctlcluster $ver main start'"; exit 1; }; fi
  for _ in $(seq 1 30); do tcp_open $PGHOST_PORT && break; sleep 0.5; done
  tcp_open $PGHOST_PORT || { say "Postgres did not come up"; exit 1; }
fi

# 5. Redis
if ! tcp_open $REDIS_HOST_PORT; then
  read -r host port <<<"$REDIS_HOST_PORT"
  local_host "$host" || { say "Redis at $host:$port does not answer; start it or fix REDIS_URL"; exit 1; }
  command -v redis-server >/dev/null || apt_install redis-server || { say "Redis is not installed. Install it (Debian: sudo apt-get install redis-server) or set REDIS_URL"; exit 1; }
  say "starting Redis on port $port"
  mkdir -p /tmp/kyc-redis
  redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no --dir /tmp/kyc-redis --logfile /tmp/kyc-redis/redis.log
  for _ in $(seq 1 30); do tcp_open $REDIS_HOST_PORT && break; sleep 0.3; done
  tcp_open $REDIS_HOST_PORT || { say "Redis did not come up"; exit 1; }
fi

# 6. the browser tests drive Debian's Chromium (playwright-core cannot download a browser here)
if [ "$MODE" = "--test" ] && [ ! -x /usr/bin/chromium ]; then
  apt_install chromium || { say "Chromium is needed by test/browser: install it (Debian: sudo apt-get install chromium)"; exit 1; }
fi

# 7. migrations
node --import tsx src/db/migrate-cli.ts
