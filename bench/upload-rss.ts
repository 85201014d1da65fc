// Peak memory of a gateway receiving concurrent multipart uploads (issue 11 point 2: uploads with
// bounded memory). Starts the gateway in a child process, resets its peak RSS (VmHWM, Linux), sends
// UPLOADS concurrent POST /v1/verifications with one IMAGE_MB image part each, and prints the peak.
//   node --import tsx bench/upload-rss.ts          (UPLOADS=20 IMAGE_MB=10 by default; REFUSED=1 below)
// Not part of npm test. Linux only (reads /proc).
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fakeJpeg } from "../test/support/adapter-harness.js";

const UPLOADS = Number(process.env.UPLOADS ?? 20);
const IMAGE_BYTES = Math.round(Number(process.env.IMAGE_MB ?? 10) * 1_000_000);

const child = spawn(process.execPath, ["--import", "tsx", new URL("./upload-rss-gateway.ts", import.meta.url).pathname], {
  stdio: ["ignore", "pipe", "inherit"],
  env: { ...process.env, NODE_ENV: "test", WEBHOOK_ALLOW_PRIVATE_URLS: "true" },
});
const first = await new Promise<string>((resolve, reject) => {
  createInterface({ input: child.stdout! }).once("line", resolve);
  child.once("exit", (code) => reject(new Error(`gateway exited ${code}`)));
});
const { url, apiKey } = JSON.parse(first) as { url: string; apiKey: string };

const mb = (kb: number) => Math.round(kb / 1024);
const status = () =>
  Object.fromEntries(
    readFileSync(`/proc/${child.pid}/status`, "utf8")
      .split("\n")
      .filter((l) => /^Vm(HWM|RSS):/.test(l))
      .map((l) => [l.split(":")[0], Number(l.split(/\s+/)[1])]),
  );

const image = Buffer.concat([fakeJpeg("bench"), Buffer.alloc(IMAGE_BYTES - fakeJpeg("bench").length, 7)]);
// REFUSED=1: a request refused by validation after the upload (checks: []), so the figure is the
// upload's own memory, without the sealed input and the database write
const request = JSON.stringify({ checks: process.env.REFUSED ? [] : ["document"], document: { type: "passport", country: "FR" } });
const upload = async () => {
  const form = new FormData();
  form.append("request", request);
  form.append("document_front", new Blob([new Uint8Array(image)], { type: "image/jpeg" }), "front.jpg");
  const res = await fetch(`${url}/v1/verifications`, { method: "POST", headers: { authorization: `Bearer ${apiKey}` }, body: form });
  await res.arrayBuffer();
  return res.status;
};

// one upload first, so that code paths are loaded and the figure is what the uploads add
await upload();
(globalThis as { gc?: () => void }).gc?.();
await new Promise((r) => setTimeout(r, 500));
const idle = status();
writeFileSync(`/proc/${child.pid}/clear_refs`, "5"); // resets VmHWM to the current RSS
const started = Date.now();
const statuses = await Promise.all(Array.from({ length: UPLOADS }, upload));
const after = status();
console.log(
  JSON.stringify({
    uploads: UPLOADS,
    imageMB: IMAGE_BYTES / 1_000_000,
    statuses: Object.fromEntries([...new Set(statuses)].map((s) => [s, statuses.filter((x) => x === s).length])),
    seconds: (Date.now() - started) / 1000,
    rssBeforeMB: mb(idle.VmRSS!),
    peakRssMB: mb(after.VmHWM!),
    peakAboveIdleMB: mb(after.VmHWM! - idle.VmRSS!),
    perUploadMB: Math.round((after.VmHWM! - idle.VmRSS!) / 1024 / UPLOADS),
  }),
);
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
