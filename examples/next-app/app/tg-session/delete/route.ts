/** TurboGears' `session.delete()`: the record and its cookie are gone; `/tg-session` starts over. */
import { plainText } from "@/lib/plain-text";
import { getSession } from "@/sessions";

export async function GET(): Promise<Response> {
  const session = await getSession("tg");
  await session.destroy();
  return plainText("The session was deleted.");
}
