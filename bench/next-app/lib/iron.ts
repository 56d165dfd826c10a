/** iron-session set up the way its README shows for the App Router. */
import { getIronSession, type SessionOptions } from "iron-session";
import { cookies } from "next/headers";
import { BENCH_SECRET } from "../../lib/bench-schema.ts";
import { smallSession } from "../../lib/payloads.ts";

/** The same ~300-byte session as satchel's (figures 1–2), Date as an ISO string (iron-session is JSON). */
export const IRON_PROFILE = JSON.parse(JSON.stringify(smallSession)) as Record<string, unknown>;

export interface IronData {
  visits?: number;
  [field: string]: unknown;
}

const options: SessionOptions = {
  password: process.env.SESSION_SECRET ?? BENCH_SECRET,
  cookieName: "iron",
  ttl: 86_400,
  cookieOptions: { secure: false, httpOnly: true, sameSite: "lax" },
};

export async function ironSession() {
  return getIronSession<IronData>(await cookies(), options);
}
