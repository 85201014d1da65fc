// The production image, without Docker: the Dockerfile's shape, and scripts/image-check.sh,
// which runs the Dockerfile's steps in a clean directory (build, stage, npm ci --omit=dev, the
// built API and worker started with node, their health endpoints, the image's HEALTHCHECK).
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const dockerfile = readFileSync(join(root, "Dockerfile"), "utf8");
const stages = Object.fromEntries(
  dockerfile
    .split(/^(?=FROM )/m)
    .filter((s) => s.startsWith("FROM "))
    .map((s) => [/^FROM \S+ AS (\S+)/.exec(s)![1]!, s]),
);

describe("Dockerfile", () => {
  it("builds on Node 24 in stages, the runtime one last (the default target) and a sandbox target", () => {
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m);
    expect(Object.keys(stages)).toEqual(["build", "base", "sandbox", "runtime"]);
    expect(stages.build).toMatch(/RUN npm ci /);
    expect(dockerfile).not.toMatch(/npm install(?! --package-lock-only)/);
  });

  it("the runtime stage has the staged build and production dependencies only, a non-root user and a HEALTHCHECK on /healthz", () => {
    const runtime = stages.runtime!;
    expect(runtime).toMatch(/^COPY --from=build \/out\/runtime \.\/$/m);
    expect(runtime.match(/^COPY .*/gm)).toHaveLength(1);
    expect(runtime).toMatch(/RUN npm ci --omit=dev/);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
    expect(runtime).toMatch(/^CMD \["node", "dist\/main\.js", "--api"\]$/m);
    expect(runtime).not.toMatch(/tsx|8090|sandbox/);
    expect(stages.build).toMatch(/stage-runtime\.sh \/out\/runtime(?! --with-sandbox)/);
    expect(stages.sandbox).toMatch(/CMD \["node", "dist\/sandbox\/main\.js"\]/);
  });

  it("keeps tests, benches, local secrets and build output out of the build context", () => {
    const ignored = readFileSync(join(root, ".dockerignore"), "utf8").split("\n");
    for (const p of ["node_modules", "dist", ".env", "test", "bench", "src/generated"]) expect(ignored).toContain(p);
  });
});

describe("the image check (scripts/image-check.sh)", () => {
  it("builds, stages, installs production dependencies in a clean directory and serves health from the built code", async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        "bash",
        [join(root, "scripts/image-check.sh")],
        { cwd: root, env: { ...process.env, IMAGE_CHECK_BUILD_DEPS: "link", NODE_ENV: "" }, maxBuffer: 4 << 20 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)),
      ),
    );
    expect(out).toMatch(/API \/readyz: +200/);
    expect(out).toMatch(/worker \/healthz: 200/);
    expect(out).toMatch(/image check passed/);
  }, 300_000);
});
