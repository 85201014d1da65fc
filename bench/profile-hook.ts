// Loaded into the gateway's process by the bench (`node --import bench/profile-hook.ts ...`) when
// BENCH_PROFILE=1: V8's CPU profiler, started and stopped over the IPC channel, so a profile covers
// one measured path and not the process's start-up. The file is the same .cpuprofile that
// `node --cpu-prof` writes (open it in Chrome DevTools or read it with bench/top-frames.ts).
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

const session = new Session();
session.connect();

process.on("message", (m: { type?: string; file?: string }) => {
  const run = async () => {
    if (m.type === "profile:start") {
      await session.post("Profiler.enable");
      // 1 ms, --cpu-prof's default interval
      await session.post("Profiler.setSamplingInterval", { interval: 1000 });
      await session.post("Profiler.start");
      process.send?.({ type: "profile:started" });
    } else if (m.type === "profile:stop" && m.file) {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(m.file, JSON.stringify(profile));
      process.send?.({ type: "profile:written" });
    }
  };
  run().catch((e: Error) => process.send?.({ type: "profile:error", error: e.message }));
});
// the IPC channel must not keep a stopping gateway alive
process.channel?.unref();
