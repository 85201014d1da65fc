// Bytes straight onto a socket: requests fetch() refuses to send (broken framing, bad header bytes,
// a missing Host, lying Content-Length) and the answer as the server wrote it.
import { connect } from "node:net";

export interface RawAnswer {
  /** 0 when the server closed without answering */
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` and reads until the server closes (httpRequest adds Connection: close) or `timeoutMs`. */
export function rawRequest(baseUrl: string, request: Buffer | string, timeoutMs = 10_000): Promise<RawAnswer> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), hostname);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseAnswer(Buffer.concat(chunks)));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", finish);
    // no half-close: Node's server drops a request whose client ended its side before the answer
    socket.write(request);
  });
}

function parseAnswer(raw: Buffer): RawAnswer {
  const split = raw.indexOf("\r\n\r\n");
  const head = raw.subarray(0, Math.max(split, 0)).toString("latin1");
  if (!head.startsWith("HTTP/") || split < 0) return { status: 0, headers: {}, body: raw.toString("utf8") };
  const [statusLine, ...lines] = head.split("\r\n");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const c = l.indexOf(":");
    if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
  }
  let body = raw.subarray(split + 4);
  if (headers["transfer-encoding"] === "chunked") body = unchunk(body);
  return { status: Number(statusLine!.split(" ")[1]), headers, body: body.toString("utf8") };
}

function unchunk(b: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const nl = b.indexOf("\r\n", at);
    if (nl < 0) break;
    const size = Number.parseInt(b.subarray(at, nl).toString("latin1"), 16);
    if (!size) break;
    parts.push(b.subarray(nl + 2, nl + 2 + size));
    at = nl + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** A request as text with CRLF line ends: the request line, headers, a blank line and the body. */
export function httpRequest(method: string, path: string, headers: Record<string, string>, body: Buffer | string = ""): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body);
  const head = [`${method} ${path} HTTP/1.1`, ...Object.entries({ connection: "close", ...headers }).map(([k, v]) => `${k}: ${v}`), "", ""].join("\r\n");
  return Buffer.concat([Buffer.from(head, "latin1"), b]);
}
