/**
 * Tipfy's MessagesMixin: the first request finds no messages and sets a success message as flash;
 * the next one lists it with its level (`level: body`, one per line).
 */
import { plainText } from "@/lib/plain-text";
import { getSession, withRouteSessions } from "@/sessions";

export const GET = withRouteSessions(async () => {
  const session = await getSession("session");
  const messages = session.messages.read();
  if (messages.length === 0) {
    session.messages.success("This is a success message set using flash.");
    return plainText("No messages were set.");
  }
  return plainText(messages.map((message) => `${message.level}: ${message.body}`).join("\n"));
});
