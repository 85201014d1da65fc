// A TCP proxy in front of a real Postgres or Redis, which a test cuts (connections reset, new ones
// refused: the server "stopped"), turns into a black hole (connections accepted, never answered),
// and restores: what clients see of a restart or a partition, without stopping the shared servers.
import { createServer, type Server, type Socket, connect } from "node:net";
import type { AddressInfo } from "node:net";

type Mode = "forward" | "refuse" | "blackhole";

/** `port`: where to listen (0: any free port); a fixed one lets a client be started before the proxy exists. */
export function startTcpProxy(target: { host: string; port: number }, listenPort = 0) {
  let mode: Mode = "forward";
  const sockets = new Set<Socket>();
  let server: Server;
  let port = listenPort;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        client.on("error", () => undefined);
        if (mode === "blackhole") return; // accepted, never answered
        const upstream = connect(target.port, target.host);
        sockets.add(upstream);
        // either side gone (a killed client, a reset) takes the other down: no server connection outlives its client
        upstream.on("close", () => {
          sockets.delete(upstream);
          client.destroy();
        });
        client.on("close", () => upstream.destroy());
        upstream.on("error", () => client.destroy());
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  return {
    listen,
    get port() {
      return port;
    },
    /** Postgres "stopped": every connection reset, nobody listening */
    async cut() {
      mode = "refuse";
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
    async blackhole() {
      for (const s of sockets) s.destroy();
      mode = "blackhole";
    },
    async restore() {
      for (const s of sockets) s.destroy();
      mode = "forward";
      if (!server.listening) await listen();
    },
    async close() {
      for (const s of sockets) s.destroy();
      if (server?.listening) await new Promise((r) => server.close(r));
    },
  };
}
