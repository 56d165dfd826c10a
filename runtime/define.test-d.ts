/**
 * Compile-time test of definitions (checked by `npm run typecheck`, never run): a typo is already a
 * type error in a TypeScript schema file; `defineSessions()` refuses it at run time as well (for
 * JavaScript schema files, spreads and casts).
 */
import { z } from "zod";
import { defineSessions } from "./define.ts";

const schema = z.object({ n: z.number().default(0) });

export const typos = () => [
  // @ts-expect-error "absolut" is not an expiry option
  defineSessions({ a: { storage: "cookie", schema, expiry: { absolut: "7d" } } }),
  // @ts-expect-error "storag" is not a session key
  defineSessions({ a: { storag: "cookie", schema } }),
  // @ts-expect-error "samesite" is not a cookie option (sameSite is)
  defineSessions({ a: { storage: "cookie", schema, cookie: { samesite: "lax" } } }),
];

export const accepted = defineSessions({
  a: { storage: "cookie", schema, cookie: { persistent: false } },
  b: { storage: "store", schema, store: "memory:" },
});
