#!/usr/bin/env bash
# Writes deploy/gateway.env and deploy/stores.env for docker compose, with fresh secrets and
# passwords (hex, so they need no URL encoding). Never overwrites an existing file.
# Usage: scripts/deploy-env.sh PUBLIC_BASE_URL      e.g. scripts/deploy-env.sh https://kyc.example.com
set -euo pipefail
cd "$(dirname "$0")/.."
PUBLIC_BASE_URL="${1:?usage: scripts/deploy-env.sh PUBLIC_BASE_URL (the URL vendors and users reach the gateway at)}"
node -e 'new URL(process.argv[1])' "$PUBLIC_BASE_URL" 2>/dev/null || { echo "not a URL: $PUBLIC_BASE_URL" >&2; exit 1; }
for f in deploy/gateway.env deploy/stores.env; do [ ! -e "$f" ] || { echo "$f exists: not overwriting it" >&2; exit 1; }; done
rand() { node -e 'console.log(require("crypto").randomBytes(+process.argv[1]).toString(process.argv[2]))' "$1" "$2"; }
PG_PASSWORD=$(rand 24 hex) REDIS_PASSWORD=$(rand 24 hex)
umask 077
printf 'POSTGRES_PASSWORD=%s\nREDIS_PASSWORD=%s\n' "$PG_PASSWORD" "$REDIS_PASSWORD" > deploy/stores.env
{
  echo "PUBLIC_BASE_URL=${PUBLIC_BASE_URL%/}"
  echo "ADMIN_TOKEN=$(rand 32 base64url)"
  echo "METRICS_TOKEN=$(rand 24 base64url)"
  echo "MASTER_KEY=$(rand 32 base64)"
  echo "DATABASE_URL=postgresql://kyc:$PG_PASSWORD@postgres:5432/kyc_gateway"
  echo "REDIS_URL=redis://:$REDIS_PASSWORD@redis:6379"
  echo "LOG_LEVEL=info"
} > deploy/gateway.env
echo "wrote deploy/gateway.env and deploy/stores.env (mode 600); ADMIN_TOKEN and METRICS_TOKEN (Prometheus sends it as a bearer token) are in deploy/gateway.env"
