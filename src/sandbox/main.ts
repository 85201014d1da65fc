// `npm run sandbox`: the vendor simulators alone (docker-compose's sandbox service).
import { startSandbox } from "./server.js";
import { createLogger } from "../observability/logger.js";

const port = Number(process.env.SANDBOX_PORT ?? 8090);
const server = await startSandbox({ port, log: createLogger(process.env.LOG_LEVEL ?? "info"), host: process.env.SANDBOX_HOST ?? "0.0.0.0" });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
