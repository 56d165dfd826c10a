/**
 * Compile-time test of `$expire()` on the generated handles (checked by `npm run typecheck`, never
 * run): `auth` and `cart` allow at most 30 days (`expiry.absolute: "30d"`); more is a type error
 * whose message names the limit; what cannot be judged at compile time is left to the runtime check.
 */
import type { AuthSession, CartSession } from "../../generated/sessions.ts";
import type { WithinExpiryLimit } from "../expiry-limit.ts";
import type { Duration } from "../types.ts";

export async function withinTheLimit(auth: AuthSession, cart: CartSession, chosen: Duration): Promise<void> {
  await auth.$expire({ absolute: "30d", idle: null, persistent: true });
  await auth.$expire({ absolute: "720h", idle: "2h" });
  await auth.$expire({ absolute: "43200m" });
  await auth.$expire({ absolute: 2_592_000 });
  await auth.$expire({ absolute: "4w" });
  await auth.$expire({ persistent: false });
  await auth.$expire({ absolute: "030d" });
  // A fraction or a variable: checked at run time.
  await auth.$expire({ absolute: "29.5d" });
  await auth.$expire({ absolute: chosen });
  await cart.$expire({ absolute: "30d", idle: "30d", persistent: true });
}

export async function overTheLimit(auth: AuthSession, cart: CartSession): Promise<void> {
  // @ts-expect-error satchel: at most the definition's expiry.absolute (30d)
  await auth.$expire({ absolute: "31d", persistent: true });
  // @ts-expect-error one hour more than 30 days
  await auth.$expire({ absolute: "721h" });
  // @ts-expect-error one second more than 30 days
  await auth.$expire({ absolute: 2_592_001 });
  // @ts-expect-error five weeks
  await auth.$expire({ absolute: "5w" });
  // @ts-expect-error 31 days against cart's 30
  await cart.$expire({ absolute: "31d" });
  // @ts-expect-error persistent is a boolean
  await auth.$expire({ persistent: "yes" });
  // @ts-expect-error not an option
  await auth.$expire({ absolut: "1d" });
}

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | undefined {
  return undefined;
}
/** What the generated module states for `auth` (`expiry.absolute: "30d"`). */
type AuthLimit = { text: "30d"; s: 2592000; m: 43200; h: 720; d: 30; w: 4 };

/** What an over-long literal is compared with: a message naming the definition's limit. */
export function theMessage(): void {
  type Over = WithinExpiryLimit<{ absolute: "31d" }, AuthLimit>["absolute"];
  assert<Equal<Over, "satchel: at most the definition's expiry.absolute (30d)">>();
  type Within = WithinExpiryLimit<{ absolute: "30d" }, AuthLimit>["absolute"];
  assert<Equal<Within, "30d">>();
}
