// The API's HTTP server: what Node itself refuses before Express sees a request (a malformed request
// line, bad header bytes, headers too large, a broken chunked body, an Expect it cannot meet) is
// answered in the same problem+json shape as every other error, where Node leaves the answer to us.
import { createServer, STATUS_CODES, type Server } from "node:http";
import type { Socket } from "node:net";
import type { Express } from "express";
import { Problem, problemJson } from "./problem.js";

/** Where in the request each llhttp error is: the request line, the headers or the body. */
function locate(code: string | undefined): { status: number; path?: string } {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, path: "headers" };
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return { status: 413, path: "$" };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408 };
    case "HPE_INVALID_METHOD":
    case "HPE_INVALID_URL":
    case "HPE_INVALID_VERSION":
    case "HPE_INVALID_CONSTANT":
      return { status: 400, path: "request-line" };
    case "HPE_INVALID_CHUNK_SIZE":
    case "HPE_INVALID_EOF_STATE":
    case "HPE_STRICT":
      return { status: 400, path: "$" };
    default:
      return { status: 400, path: "headers" };
  }
}

/** A whole HTTP/1.1 response carrying a problem document, for writing straight to a socket. */
export function rawProblemResponse(p: Problem): string {
  const body = problemJson(p);
  return `HTTP/1.1 ${p.status} ${STATUS_CODES[p.status] ?? "Bad Request"}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function handleClientError(err: Error & { code?: string; reason?: string }, socket: Socket & { _httpMessage?: { _headerSent?: boolean } }): void {
  // as Node does: answer only if nothing of a response has gone out on this socket yet
  if (err.code === "ECONNRESET" || !socket.writable || socket._httpMessage?._headerSent) {
    socket.destroy();
    return;
  }
  const { status, path } = locate(err.code);
  // llhttp's reason is a fixed phrase ("Invalid header value char"), never the bytes it failed on
  const reason = err.reason ?? err.code ?? "malformed HTTP";
  socket.end(
    rawProblemResponse(
      new Problem(status, STATUS_CODES[status] ?? "Bad Request", `the request could not be parsed: ${reason}`, path ? [{ path, message: reason }] : undefined),
    ),
  );
}

/** The API app behind a server whose protocol-level refusals are problem+json too. */
export function createApiServer(app: Express): Server {
  // a missing Host header is refused by the app (problem+json naming it) rather than by Node (an empty 400)
  const server = createServer({ requireHostHeader: false }, app);
  server.on("clientError", handleClientError);
  // an Expect other than 100-continue: Node would answer an empty 417
  server.on("checkExpectation", (_req, res) => {
    res.writeHead(417, { "Content-Type": "application/problem+json", Connection: "close" });
    res.end(
      problemJson(
        new Problem(417, "Expectation failed", "only Expect: 100-continue is supported", [
          { path: "header:Expect", message: "only 100-continue is supported" },
        ]),
      ),
    );
  });
  return server;
}
