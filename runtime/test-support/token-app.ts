/**
 * The token kinds the token tests use, beside a cookie and a store session (so a session cookie can
 * be presented as a token, and a token as a session cookie), and a satchel over them.
 */
import { z } from "zod";
import { defineSessions, type SessionsConfig } from "../define.ts";
import { createSatchel, type Satchel, type SessionTypesShape, type TokenTypesShape } from "../satchel.ts";
import type { SessionStore } from "../stores/types.ts";
import type { InvalidReport, SessionHandle } from "../types.ts";
import { SECRET_A, type TestClock } from "./harness.ts";

export const tokenConfig = defineSessions(
  {
    auth: { storage: "cookie", schema: z.object({ userId: z.string().nullable().default(null) }) },
    cart: { storage: "store", schema: z.object({ items: z.array(z.string()).default([]) }) },
  },
  {
    tokens: {
      passwordReset: { schema: z.object({ userId: z.string() }), ttl: "15m", singleUse: true },
      // The same data shape as passwordReset: only the kind tells them apart.
      emailChange: { schema: z.object({ userId: z.string() }), ttl: "1h" },
      invite: {
        schema: z.object({
          team: z.string().min(1),
          role: z.enum(["admin", "member"]).default("member"),
          sentAt: z.date(),
        }),
        ttl: "7d",
      },
    },
  },
);

export interface TokenTestSessions {
  auth: SessionHandle<{ userId: string | null }>;
  cart: SessionHandle<{ items: string[] }>;
}

export interface TokenTestTokens {
  passwordReset: { input: { userId: string }; data: { userId: string } };
  emailChange: { input: { userId: string }; data: { userId: string } };
  invite: {
    input: { team: string; role?: "admin" | "member" | undefined; sentAt: Date };
    data: { team: string; role: "admin" | "member"; sentAt: Date };
  };
}

/**
 * A satchel over `config` (default: the token config, typed by the two interfaces above) whose
 * `onInvalid` reports land in `reports`.
 */
export function tokenSatchel<
  Sessions extends SessionTypesShape<Sessions> = TokenTestSessions,
  Tokens extends TokenTypesShape<Tokens> = TokenTestTokens,
>(options: {
  store: SessionStore;
  clock: TestClock;
  secrets?: string[];
  config?: SessionsConfig;
}): { satchel: Satchel<Sessions, Tokens>; reports: InvalidReport[] } {
  const reports: InvalidReport[] = [];
  const satchel = createSatchel<Sessions, Tokens>(options.config ?? tokenConfig, {
    secrets: options.secrets ?? [SECRET_A],
    store: options.store,
    now: options.clock.now,
    onInvalid: (report) => reports.push(report),
  });
  return { satchel, reports };
}
