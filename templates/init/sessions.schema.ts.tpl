/**
 * Your app's sessions. Edit, then run `npx satchel gen` (or keep `npx satchel gen --watch` running)
 * to regenerate {{outImport}}.ts, the typed module your code imports.
 */
import { defineSessions } from "satchel";
import { z } from "zod";

export default defineSessions({
  auth: {
    storage: "cookie",
    schema: z.object({
      userId: z.string().nullable().default(null),
    }),
    flash: { notice: z.string() },
    expiry: { absolute: "7d", idle: "2h" },
  },
});
