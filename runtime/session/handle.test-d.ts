/**
 * Compile-time test of the handle's dictionary API (checked by `npm run typecheck`, never run):
 * keys, values and fallbacks are typed by the schema.
 */
import type { AuthSession, SessionSession } from "../../generated/sessions.ts";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assert<T extends true>(): T | undefined {
  return undefined;
}

export function dictionary(session: SessionSession, auth: AuthSession): void {
  // The seeds' `session.setdefault('products', []).append(x)`: the stored array, no `undefined`.
  const products = session.setdefault("products", []);
  assert<Equal<typeof products, string[]>>();
  products.push("sku-1");
  // @ts-expect-error the value must fit the field
  session.setdefault("products", [1]);
  // @ts-expect-error not a field of the schema
  session.setdefault("product", []);

  const maybeFoo = session.get("foo");
  assert<Equal<typeof maybeFoo, string | undefined>>();
  const foo = session.get("foo", "none");
  assert<Equal<typeof foo, string>>();
  const userId = auth.get("userId", 0);
  assert<Equal<typeof userId, string | null | 0>>();
  // @ts-expect-error not a field of the schema
  auth.get("user");

  assert<Equal<ReturnType<typeof auth.keys>, ("userId" | "name" | "roles" | "signedInAt")[]>>();
  auth.has("signedInAt");
  // @ts-expect-error not a field of the schema
  auth.has("signed");
  const popped = auth.pop("roles");
  assert<Equal<typeof popped, ("admin" | "member")[]>>();
  auth.clear();
  delete session.foo;
  assert<Equal<typeof auth.$destroyed, boolean>>();
  assert<Equal<Awaited<ReturnType<typeof auth.$metadata>>["publicId"], string | null>>();
  // @ts-expect-error metadata is read-only
  auth.$destroyed = true;
  assert<Equal<typeof auth.$unavailable, boolean>>();
  // @ts-expect-error metadata is read-only
  auth.$unavailable = false;
  assert<Equal<ReturnType<typeof auth.reload>, Promise<void>>>();
  assert<Equal<ReturnType<typeof session.touch>, void>>();
  // @ts-expect-error reload takes nothing: it reads the session as stored
  auth.reload({ keep: true });
}
