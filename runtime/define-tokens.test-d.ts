/**
 * Compile-time test of the `tokens` option (checked by `npm run typecheck`, never run): mistakes in a
 * TypeScript schema file are type errors before `defineSessions()` refuses them at run time.
 */
import { z } from "zod";
import { defineSessions } from "./define.ts";

const sessions = { a: { storage: "cookie" as const, schema: z.object({ n: z.number().default(0) }) } };
const schema = z.object({ userId: z.string() });

export const accepted = defineSessions(sessions, {
  tokens: {
    passwordReset: { schema, ttl: "15m", singleUse: true },
    invite: { schema: z.string(), ttl: 3600 },
  },
});

export const mistakes = () => [
  // @ts-expect-error a ttl must be a duration such as "15m"
  defineSessions(sessions, { tokens: { reset: { schema, ttl: "15 minutes" } } }),
  // @ts-expect-error a ttl is required
  defineSessions(sessions, { tokens: { reset: { schema } } }),
  // @ts-expect-error "singleuse" is not a token option (singleUse is)
  defineSessions(sessions, { tokens: { reset: { schema, ttl: "1h", singleuse: true } } }),
  // @ts-expect-error singleUse is a boolean
  defineSessions(sessions, { tokens: { reset: { schema, ttl: "1h", singleUse: "yes" } } }),
  // @ts-expect-error a schema is a zod schema
  defineSessions(sessions, { tokens: { reset: { schema: { userId: "string" }, ttl: "1h" } } }),
];
