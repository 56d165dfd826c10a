/**
 * Compile-time test against the real Next.js types (checked by `npm run typecheck`, never run):
 * what `next/headers` and `next/server` hand out must fit the adapter's seams, and what the adapter
 * returns must fit where Next expects it. A Next upgrade that changes these shapes fails here.
 */
import type { cookies, headers } from "next/headers";
import type { NextProxy, NextRequest } from "next/server";
import type { SessionTypes } from "../../generated/sessions.ts";
import type { Satchel } from "../satchel.ts";
import type { NextCookieStore } from "./cookie-jar.ts";
import { createNextSessions } from "./create.ts";
import type { NextRequestApi } from "./request-api.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | undefined {
  return undefined;
}

// cookies() is async in Next 16, and both its read-only and writable results fit the jar's store.
type CookieStore = Awaited<ReturnType<typeof cookies>>;
assert<ReturnType<typeof cookies> extends Promise<unknown> ? true : false>();
export const asStore = (store: CookieStore): NextCookieStore => store;
// headers() is async and its result can seed the Headers the core reads.
assert<ReturnType<typeof headers> extends Promise<unknown> ? true : false>();
export const asHeaders = async (h: ReturnType<typeof headers>): Promise<Headers> => new Headers(await h);
// The request seam accepts exactly those functions.
export const api: NextRequestApi["cookies"] = async () => asStore(await ({} as ReturnType<typeof cookies>));

declare const satchel: Satchel<SessionTypes>;
const next = createNextSessions(satchel);

// getSession is typed by the schema: fields, flash payloads, messages only where declared.
export async function typedHandles(): Promise<void> {
  const auth = await next.getSession("auth");
  assert<Equal<typeof auth.userId, string | null>>();
  auth.flash.error.add({ message: "x" });
  // @ts-expect-error a flash payload of the wrong type
  auth.flash.notice.add(42);
  // @ts-expect-error auth declares no messages channel
  auth.messages;
  const cart = await next.getSession("cart");
  cart.messages.success("added");
  // @ts-expect-error not a session of the schema
  await next.getSession("nope");
  // A page that renders degraded with its store down: the same typed handle, `$unavailable` says so.
  const degraded = await next.getSession("cart", { unavailable: "empty" });
  assert<Equal<typeof degraded, typeof cart>>();
  assert<Equal<typeof degraded.$unavailable, boolean>>();
  await next.getSession("cart", { unavailable: "throw" });
  // @ts-expect-error only "empty" or "throw"
  await next.getSession("cart", { unavailable: "stale" });
}

// A wrapped route handler is a valid App Router handler; a wrapped action keeps its signature.
export const GET: (request: NextRequest, context: { params: Promise<{ id: string }> }) => Promise<Response> =
  next.withRouteSessions(async (request: NextRequest, context: { params: Promise<{ id: string }> }) =>
    Response.json({ id: (await context.params).id, path: request.nextUrl.pathname }),
  );
export const action: (form: FormData) => Promise<number> = next.withActionSessions(
  async (form: FormData) => form.getAll("x").length,
);
// sessionProxy() is a Next 16 proxy function.
export const proxy: NextProxy = next.sessionProxy();
