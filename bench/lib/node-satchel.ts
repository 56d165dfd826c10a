/** Runs satchel's sessions inside a plain node:http handler (what the store benchmarks serve). */
import type { IncomingMessage, ServerResponse } from "node:http";
import { memoryCookieJar } from "../../runtime/cookies/header.ts";
import type { Satchel } from "../../runtime/satchel.ts";
import type { RequestSessions } from "../../runtime/session/request-sessions.ts";

/**
 * Opens the request's sessions over its Cookie header, runs `fn`, commits, and sends the body
 * with the Set-Cookie headers satchel wrote. The answer has no other header of its own: the peers it
 * is measured against (figure 4's bare Redis route and express-session) answer with none, and a
 * header only one side sends is server work the figure would count against satchel.
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
  res.end(body);
}
