/** Runs satchel's sessions inside a plain node:http handler (what the store benchmarks serve). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { memoryCookieJar } from "../../runtime/cookies/header.ts";
import type { Satchel } from "../../runtime/satchel.ts";
import type { RequestSessions } from "../../runtime/session/request-sessions.ts";

/**
 * Opens the request's sessions over its Cookie header, runs `fn`, commits, and sends the body
 * with the Set-Cookie headers satchel wrote.
 */
export async function withSatchel<Types>(
  satchel: Satchel<Types>,
  req: IncomingMessage,
  res: ServerResponse,
  fn: (sessions: RequestSessions<Types>) => Promise<string>,
): Promise<void> {
  const jar = memoryCookieJar(req.headers.cookie ?? null);
  const sessions = satchel.open(jar);
  const body = await fn(sessions);
  await sessions.commit();
  const cookies = jar.setCookieHeaders();
  if (cookies.length > 0) res.setHeader("set-cookie", cookies);
  res.setHeader("content-type", "text/plain");
  res.end(body);
}
