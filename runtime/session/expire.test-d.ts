/**
 * Compile-time test of `$expire()` on the generated handles (checked by `npm run typecheck`, never
 * run): `auth` allows at most 7 days (`expiry.absolute: "7d"`), `cart` 30 days; more is a type error
 * whose message names the limit; what cannot be judged at compile time is left to the runtime check.
 */
import type { AuthSession, CartSession } from "../../generated/sessions.ts";
import type { WithinExpiryLimit } from "../expiry-limit.ts";
import type { Duration } from "../types.ts";

export async function withinTheLimit(auth: AuthSession, cart: CartSession, chosen: Duration): Promise<void> {
  await auth.$expire({ absolute: "7d", persistent: true });
  await auth.$expire({ absolute: "168h", idle: null });
  await auth.$expire({ absolute: "10080m" });
  await auth.$expire({ absolute: 604_800 });
  await auth.$expire({ absolute: "1w" });
  await auth.$expire({ persistent: false });
  await auth.$expire({ absolute: "007d" });
  // A fraction or a variable: checked at run time.
  await auth.$expire({ absolute: "6.5d" });
  await auth.$expire({ absolute: chosen });
  await cart.$expire({ absolute: "30d", idle: "30d", persistent: true });
}

export async function overTheLimit(auth: AuthSession, cart: CartSession): Promise<void> {
  // @ts-expect-error satchel: at most the definition's expiry.absolute (7d)
  await auth.$expire({ absolute: "30d", persistent: true });
  // @ts-expect-error one hour more than 7 days
  await auth.$expire({ absolute: "169h" });
  // @ts-expect-error one second more than 7 days
  await auth.$expire({ absolute: 604_801 });
  // @ts-expect-error two weeks
  await auth.$expire({ absolute: "2w" });
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
/** What the generated module states for `auth` (`expiry.absolute: "7d"`). */
type AuthLimit = { text: "7d"; s: 604800; m: 10080; h: 168; d: 7; w: 1 };

/** What an over-long literal is compared with: a message naming the definition's limit. */
export function theMessage(): void {
  type Over = WithinExpiryLimit<{ absolute: "30d" }, AuthLimit>["absolute"];
  assert<Equal<Over, "satchel: at most the definition's expiry.absolute (7d)">>();
  type Within = WithinExpiryLimit<{ absolute: "7d" }, AuthLimit>["absolute"];
  assert<Equal<Within, "7d">>();
}
