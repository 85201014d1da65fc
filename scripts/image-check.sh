#!/usr/bin/env bash
# The image check: the Dockerfile's steps run without Docker, in a clean temporary directory.
#   build stage:   the build context (what the Dockerfile COPYs, less .dockerignore) -> npm ci ->
#                  prisma generate -> npm run build -> scripts/stage-runtime.sh
#   runtime stage: the staged files alone -> npm ci --omit=dev -> the migrate command, the API and a
#                  worker started with plain node (no tsx, no dev dependency installed), as an
#                  unprivileged user when run as root -> /healthz, /readyz, the worker's /healthz
#                  and /metrics, the Dockerfile's own HEALTHCHECK command -> SIGTERM drains and exits 0
# Needs Postgres and Redis (IMAGE_CHECK_DATABASE_URL, REDIS_URL; a database of its own is recreated).
# IMAGE_CHECK_BUILD_DEPS=link reuses this checkout's node_modules for the build stage only (the
# test suite does, to save a full install); the runtime stage always installs from the lockfile.
# Usage: scripts/image-check.sh  (npm run image-check)     KEEP=1 keeps the directory
set -euo pipefail
REPO="$(cd "$(dirname "$0")/.." && pwd)"
START=$SECONDS
step() { printf '[image-check +%3ss] %s\n' "$((SECONDS - START))" "$*"; }
fail() { printf '[image-check] FAILED: %s\n' "$*" >&2; for f in "${WORK:-/nonexistent}"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -30 "$f" >&2; }; done; exit 1; }
WORK="$(mktemp -d /tmp/kyc-image-check.XXXXXX)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  if [ "${KEEP:-0}" = "1" ]; then echo "[image-check] kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
BUILD="$WORK/build" RUNTIME="$WORK/runtime"
DATABASE_URL="${IMAGE_CHECK_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/kyc_gateway_imagecheck}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false

# --- build stage -------------------------------------------------------------------------------
step "build context -> $BUILD"
mkdir -p "$BUILD"
cd "$REPO"
cp package.json package-lock.json tsconfig.json tsconfig.build.json prisma.config.ts "$BUILD/"
mkdir -p "$BUILD/clients/typescript" && cp clients/typescript/package.json "$BUILD/clients/typescript/"   # the workspace's manifest, as the Dockerfile COPYs it
cp -R prisma scripts src "$BUILD/"
rm -rf "$BUILD/src/generated" "$BUILD/src/api/console/console.js"   # .dockerignore
cd "$BUILD"
if [ "${IMAGE_CHECK_BUILD_DEPS:-ci}" = "link" ]; then
  step "build deps: linked to $REPO/node_modules"
  ln -s "$REPO/node_modules" node_modules
else
  step "npm ci"
  npm ci --loglevel=error >"$WORK/npm-ci-build.log" 2>&1 || fail "npm ci (build stage)"
fi
step "prisma generate && npm run build"
PRISMA_SCHEMA_ENGINE_BINARY="$(type -P true)" PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate >"$WORK/generate.log" 2>&1 || fail "prisma generate"
npm run build >"$WORK/build.log" 2>&1 || fail "npm run build"
bash scripts/stage-runtime.sh "$RUNTIME" >"$WORK/stage.log" 2>&1 || fail "stage-runtime"; step "$(tail -1 "$WORK/stage.log")"

# --- runtime stage -----------------------------------------------------------------------------
cd "$RUNTIME"
step "runtime stage: npm ci --omit=dev"
NODE_ENV=production npm ci --omit=dev --loglevel=error >"$WORK/npm-ci-runtime.log" 2>&1 || fail "npm ci --omit=dev"
for dev in tsx vitest typescript prisma @prisma/studio-core playwright-core autocannon nock; do
  [ ! -e "node_modules/$dev" ] || fail "dev dependency $dev installed in the runtime stage"
done
for absent in src test bench dist/sandbox node_modules/.bin/tsx; do
  [ ! -e "$absent" ] || fail "$absent is in the runtime stage"
done
step "runtime stage: $(ls | tr '\n' ' ')($(du -sm . | cut -f1) MB, $(ls node_modules | wc -l) top-level packages)"

# an unprivileged user, as the image's USER node, when we can switch to one
RUN_AS=()
if [ "$(id -u)" = "0" ] && command -v setpriv >/dev/null; then
  chmod -R a+rX "$WORK"
  RUN_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
API_PORT=$(free_port) WORKER_PORT=$(free_port)
export NODE_ENV=production DATABASE_URL REDIS_URL LOG_LEVEL=warn
# a production process: whatever the calling shell (a test runner) allows for its own gateways does not apply
export WEBHOOK_ALLOW_PRIVATE_URLS=false SANDBOX_ENABLED=false
export ADMIN_TOKEN="image-check-$(node -e 'console.log(require("crypto").randomBytes(12).toString("hex"))')"
export MASTER_KEY="$(node -e 'console.log(require("crypto").randomBytes(32).toString("base64"))')"
export QUEUE_PREFIX="imgchk$$" PUBLIC_BASE_URL="http://127.0.0.1:$API_PORT" MIGRATE_ON_START=false

step "fresh database, then the migrate service's command: node dist/db/migrate-cli.js"
node -e '
const pg = require("pg"); const u = new URL(process.env.DATABASE_URL); const name = u.pathname.slice(1); u.pathname = "/postgres";
const c = new pg.Client({ connectionString: u.toString() });
c.connect().then(() => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });' || fail "dropping the check database"
"${RUN_AS[@]}" node dist/db/migrate-cli.js >"$WORK/migrate.log" 2>&1 || fail "migrate"
cat "$WORK/migrate.log"

step "starting node dist/main.js --api (:$API_PORT) and --worker (metrics :$WORKER_PORT)${RUN_AS:+ as uid 65534}"
PORT=$API_PORT "${RUN_AS[@]}" node dist/main.js --api >"$WORK/api.log" 2>&1 &
API_PID=$!; PIDS+=($API_PID)
WORKER_METRICS_PORT=$WORKER_PORT "${RUN_AS[@]}" node dist/main.js --worker >"$WORK/worker.log" 2>&1 &
WORKER_PID=$!; PIDS+=($WORKER_PID)

wait_ok() { # URL, what
  for _ in $(seq 1 120); do
    node -e 'fetch(process.argv[1]).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$1" && return 0
    kill -0 "$API_PID" 2>/dev/null && kill -0 "$WORKER_PID" 2>/dev/null || fail "$2: a process exited"
    sleep 0.5
  done
  fail "$2 did not answer 200 within 60 s"
}
body() { node -e 'fetch(process.argv[1]).then(async r=>{console.log(r.status, (await r.text()).slice(0, +process.argv[2] || 200).replace(/\n/g, " "))})' "$@"; }
wait_ok "http://127.0.0.1:$API_PORT/healthz" "API /healthz"
step "API /healthz: $(body "http://127.0.0.1:$API_PORT/healthz")"
wait_ok "http://127.0.0.1:$API_PORT/readyz" "API /readyz"
step "API /readyz:  $(body "http://127.0.0.1:$API_PORT/readyz")"
# the console's script is bundled at build time (scripts/build-console.mjs), never compiled at runtime
node -e 'fetch(process.argv[1]).then(async r=>process.exit(r.ok&&/javascript/.test(r.headers.get("content-type"))&&(await r.text()).includes("kycGateway.adminToken")?0:1),()=>process.exit(1))' "http://127.0.0.1:$API_PORT/admin/console.js" || fail "the API does not serve the bundled /admin/console.js"
step "API /admin/console.js: the bundled console is served"
wait_ok "http://127.0.0.1:$WORKER_PORT/healthz" "worker /healthz"
step "worker /healthz: $(body "http://127.0.0.1:$WORKER_PORT/healthz")"
node -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>process.exit(/^kyc_queue_depth /m.test(t)||/# TYPE kyc_vendor_call_duration_seconds/.test(t)?0:1),()=>process.exit(1))' "http://127.0.0.1:$WORKER_PORT/metrics" || fail "worker /metrics lacks the kyc_ metrics"
step "worker /metrics: $(node -e 'fetch(process.argv[1]).then(r=>r.text()).then(t=>console.log(t.split("\n").filter(l=>l.startsWith("# TYPE kyc_")).length+" kyc_ metric families"))' "http://127.0.0.1:$WORKER_PORT/metrics")"

# the Dockerfile's HEALTHCHECK command of the runtime stage, as written there
HC_JSON="$(node -e '
const df = require("fs").readFileSync(process.argv[1], "utf8");
const runtime = df.slice(df.lastIndexOf("AS runtime"));
const m = /HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])/.exec(runtime);
if (!m) process.exit(1);
console.log(m[1]);' "$REPO/Dockerfile")" || fail "no HEALTHCHECK in the Dockerfile's runtime stage"
mapfile -t HC < <(node -e 'for (const a of JSON.parse(process.argv[1])) console.log(a)' "$HC_JSON")
PORT=$API_PORT "${HC[@]}" || fail "the Dockerfile's HEALTHCHECK failed against the API"
HEALTHCHECK_URL="http://127.0.0.1:$WORKER_PORT/healthz" "${HC[@]}" || fail "the Dockerfile's HEALTHCHECK failed against the worker"
step "Dockerfile HEALTHCHECK passes for the API and the worker"

step "SIGTERM: both drain and exit"
kill -TERM "$API_PID" "$WORKER_PID"
rc_api=0; rc_worker=0
wait "$API_PID" || rc_api=$?
wait "$WORKER_PID" || rc_worker=$?
PIDS=()
[ "$rc_api" = 0 ] && [ "$rc_worker" = 0 ] || fail "exit codes after SIGTERM: api $rc_api, worker $rc_worker"
step "image check passed"
