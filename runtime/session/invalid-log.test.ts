import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineSessions } from "../define.ts";
import { createSatchel } from "../satchel.ts";
import type { SessionHandle } from "../types.ts";
import { INVALID_LOG_SIZE, recentInvalidReports, recordInvalidReport } from "./invalid-log.ts";

const SECRET = "invalid-log-test-secret-0123456789abcdefghijkl";

describe("the onInvalid log", () => {
  it("keeps the newest reports first, at most INVALID_LOG_SIZE", () => {
    for (let i = 0; i < INVALID_LOG_SIZE + 5; i++) {
      recordInvalidReport({ reason: "tampered", session: `s${i}` }, i);
    }
    const reports = recentInvalidReports();
    expect(reports).toHaveLength(INVALID_LOG_SIZE);
    expect(reports[0]).toEqual({
      reason: "tampered",
      session: `s${INVALID_LOG_SIZE + 4}`,
      at: INVALID_LOG_SIZE + 4,
    });
    expect(reports.at(-1)?.session).toBe("s5");
  });

  it("hears every report a satchel makes, and the app's onInvalid still does", async () => {
    const heard: string[] = [];
    const config = defineSessions({
      prefs: { storage: "cookie", schema: z.object({ theme: z.string().default("light") }) },
    });
    const satchel = createSatchel<{ prefs: SessionHandle<{ theme: string }> }>(config, {
      secrets: SECRET,
      now: () => 1_234,
      onInvalid: (report) => heard.push(report.reason),
    });
    const sessions = satchel.fromRequest(new Request("http://x/", { headers: { cookie: "prefs=garbage" } }));
    await sessions.get("prefs");
    expect(heard).toEqual(["malformed"]);
    expect(recentInvalidReports()[0]).toMatchObject({ session: "prefs", reason: "malformed", at: 1_234 });
  });
});
