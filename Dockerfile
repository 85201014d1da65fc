# syntax=docker/dockerfile:1
# Targets:
#   runtime (the default, last stage): the API (`--api`, the CMD) and the workers (`--worker`),
#            compiled dist/ + production dependencies only, non-root, HEALTHCHECK on /healthz
#   sandbox: the vendor simulators, for local and staging use (`--target sandbox`)
# Docker is not needed to check these steps: scripts/image-check.sh runs the same commands in a
# clean directory (npm test runs it; see README "Building and deploying").
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: every dependency, the Prisma client, tsc to dist/ -------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# the workspace's manifest: `npm ci` installs the whole lockfile, the typed client's dependencies included
COPY clients/typescript/package.json ./clients/typescript/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY src ./src
RUN PRISMA_SCHEMA_ENGINE_BINARY=/bin/true PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate \
 && npm run build \
 && bash scripts/stage-runtime.sh /out/runtime \
 && bash scripts/stage-runtime.sh /out/sandbox --with-sandbox

# --- what both run images start from ---------------------------------------------------------
FROM ${NODE_IMAGE} AS base
ENV NODE_ENV=production
WORKDIR /app

# --- sandbox: the vendor simulators (never part of the production image) --------------------
FROM base AS sandbox
COPY --from=build /out/sandbox ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
USER node
ENV SANDBOX_PORT=8090 SANDBOX_HOST=0.0.0.0
EXPOSE 8090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SANDBOX_PORT||8090)+'/').then(r=>process.exit(r.status<500?0:1),()=>process.exit(1))"]
CMD ["node", "dist/sandbox/main.js"]

# --- runtime: API and workers ----------------------------------------------------------------
FROM base AS runtime
COPY --from=build /out/runtime ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
USER node
EXPOSE 8080
# liveness of the API on PORT; a worker container sets HEALTHCHECK_URL to its WORKER_METRICS_PORT's /healthz
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(process.env.HEALTHCHECK_URL||'http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js", "--api"]
