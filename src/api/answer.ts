// A JSON answer written in one piece, for the POST routes on the hot paths (the accept, a vendor webhook's receipt).
// Express's res.json hashes every body for an ETag (sha1; no POST answer is ever conditional) and writes the body as
// a second buffer after the headers; the profile of the webhook receive had both (issue 13). GET answers keep
// res.json: its ETag lets a client poll a verification with If-None-Match.
import type { Response } from "express";

export function answerJson(res: Response, status: number, body: unknown): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  // one string: node writes it with the headers in one write, with its Content-Length
  res.end(JSON.stringify(body));
}
