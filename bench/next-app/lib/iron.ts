/** iron-session set up the way its README shows for the App Router. */
import { getIronSession, type SessionOptions } from "iron-session";
import { cookies } from "next/headers";
import { BENCH_SECRET } from "../../lib/bench-schema.ts";

export interface IronData {
  visits?: number;
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
