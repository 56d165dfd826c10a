/**
 * TurboGears: a session in the file store that is saved explicitly. Not wrapped in
 * `withRouteSessions`, so nothing is saved unless the handler calls `save()`.
 */
import { plainText } from "@/lib/plain-text";
import { getSession } from "@/sessions";

export async function GET(): Promise<Response> {
  const session = await getSession("tg");
  const value = session.get("mysuperkey", null);
  if (value) return plainText(value);
  session.mysuperkey = "some python data I need to store";
  await session.save();
  return plainText("mysuperkey is not set.");
}
