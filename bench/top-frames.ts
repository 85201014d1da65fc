// The top self-time frames of a V8 .cpuprofile (from `node --cpu-prof` or the bench's BENCH_PROFILE=1),
// then the same time summed by package, then the gateway's own functions by inclusive time (what
// each of ours costs with everything it calls).
//   node --import tsx bench/top-frames.ts bench/results/profiles/accept-small.cpuprofile [--top 10]
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface FrameTime {
  frame: string;
  ms: number;
  /** share of the busy time (idle excluded) */
  pct: number;
}

const IDLE = "(idle)";

function shortUrl(url: string): string {
  if (!url) return "";
  const u = url.replace(/^file:\/\//, "");
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) return u.slice(nm + "/node_modules/".length);
  const src = u.search(/\/(src|bench|test)\//);
  return src >= 0 ? u.slice(src + 1) : u;
}

function frameName(f: CallFrame): string {
  const where = shortUrl(f.url);
  // under tsx a module's code is one line: a line number says something only in built code (BENCH_GATEWAY=dist)
  const line = f.lineNumber > 0 ? `:${f.lineNumber + 1}` : "";
  return where ? `${f.functionName || "(anonymous)"} ${where}${line}` : f.functionName || "(anonymous)";
}

function packageOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith("(") ? f.functionName : "(native)";
  const u = f.url.replace(/^file:\/\//, "");
  if (u.startsWith("node:")) return "node: (core)";
  const nm = u.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = u.slice(nm + "/node_modules/".length).split("/");
    return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const src = /\/((?:src|dist)\/[^/]+|bench|test)\//.exec(u);
  return src ? `gateway ${src[1]}` : u;
}

/** Self time per frame, per package, and inclusive time of the gateway's own frames. */
export function summarize(profile: CpuProfile) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMs = new Map<number, number>();
  // timeDeltas[i] is the time before sample i: attribute the gap after a sample to it, as DevTools does
  for (let i = 0; i < profile.samples.length; i += 1) {
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    selfMs.set(profile.samples[i]!, (selfMs.get(profile.samples[i]!) ?? 0) + ms);
  }
  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  // who calls the top native frames (writev, base64Write, update...): the nearest caller outside Node's core
  const callers = new Map<string, Map<string, number>>();
  let busy = 0;
  let idle = 0;
  for (const [id, ms] of selfMs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === IDLE) {
      idle += ms;
      continue;
    }
    busy += ms;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + ms);
    if (!node.callFrame.url) {
      let at = parent.get(id);
      const inside = (u: string) => !u || u.startsWith("node:");
      while (at !== undefined && inside(byId.get(at)!.callFrame.url)) at = parent.get(at);
      const by = at === undefined ? "(root)" : frameName(byId.get(at)!.callFrame);
      const m = callers.get(name) ?? new Map<string, number>();
      m.set(by, (m.get(by) ?? 0) + ms);
      callers.set(name, m);
    }
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    // every distinct gateway frame on the stack gets the sample once
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)!.callFrame;
      // the gateway's own code, from its sources or from dist/ (a package's build/src/ is not)
      if (!/\/(src|dist)\//.test(f.url) || /node_modules|\/(src|dist)\/generated\//.test(f.url)) continue;
      const key = frameName(f);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + ms);
    }
  }
  const rank = (m: Map<string, number>): FrameTime[] =>
    [...m].sort((a, b) => b[1] - a[1]).map(([frame, ms]) => ({ frame, ms: Math.round(ms), pct: busy ? Math.round((ms / busy) * 1000) / 10 : 0 }));
  const callersOf = Object.fromEntries([...callers].map(([frame, m]) => [frame, rank(m).slice(0, 3)]));
  return { busyMs: Math.round(busy), idleMs: Math.round(idle), self: rank(self), packages: rank(packages), inclusive: rank(inclusive), callersOf };
}

export function formatSummary(title: string, s: ReturnType<typeof summarize>, top = 10): string {
  const via = (frame: string) => {
    const c = s.callersOf[frame];
    return c?.length ? `  <- ${c.map((x) => `${x.frame} ${x.ms} ms`).join(", ")}` : "";
  };
  const table = (rows: FrameTime[], callers = false) =>
    rows
      .slice(0, top)
      .map((r, i) => `  ${String(i + 1).padStart(2)}. ${String(r.ms).padStart(6)} ms ${String(r.pct).padStart(5)}%  ${r.frame}${callers ? via(r.frame) : ""}`)
      .join("\n");
  return [
    `${title}: ${s.busyMs} ms busy, ${s.idleMs} ms idle`,
    `top self time (native frames with their nearest JavaScript callers):`,
    table(s.self, true),
    `self time by package:`,
    table(s.packages),
    `the gateway's own functions, inclusive time:`,
    table(s.inclusive),
  ].join("\n");
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf("--top");
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 10;
  const files = args.filter((_a, i) => topAt < 0 || (i !== topAt && i !== topAt + 1));
  if (files.length === 0) {
    console.error("usage: node --import tsx bench/top-frames.ts <file.cpuprofile>... [--top N]");
    process.exit(2);
  }
  for (const f of files) console.log(`${formatSummary(f, summarize(JSON.parse(readFileSync(f, "utf8")) as CpuProfile), top)}\n`);
}
