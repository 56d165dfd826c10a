import { describe, expect, it } from "vitest";
import type { SessionTypes } from "../../generated/sessions.ts";
import config from "../../sessions.schema.ts";
import { fetchCsrfToken } from "../fetch/csrf.ts";
import { createNextSessions } from "../next/create.ts";
import { createInspector } from "../next/inspector/handler.ts";
import { testSatchel } from "../test-support/harness.ts";
import { hostRuntimeOf } from "./host-runtime.ts";

describe("the host runtime of a satchel", () => {
  it("is not on the public object: the satchel exposes no sealer, signer or codec", () => {
    const { satchel } = testSatchel<SessionTypes>(config);
    for (const member of ["sealer", "signer", "codec", "secrets"]) expect(member in satchel).toBe(false);
    expect(hostRuntimeOf(satchel).config).toBe(satchel.config);
  });

  it("seals with the satchel's own secrets: a token it seals opens through that satchel only", async () => {
    const { satchel } = testSatchel<SessionTypes>(config);
    const other = testSatchel<SessionTypes>(config, { secrets: ["o".repeat(40)] }).satchel;
    const times = { createdAt: 1, absoluteExpiresAt: 2_000_000_000, idleExpiresAt: null };
    const token = await (await hostRuntimeOf(satchel).sealer()).seal("auth", new Uint8Array([1, 2]), times);
    expect((await (await hostRuntimeOf(satchel).sealer()).unseal("auth", token, 0)).ok).toBe(true);
    expect((await (await hostRuntimeOf(other).sealer()).unseal("auth", token, 0)).ok).toBe(false);
  });

  it("is missing from a copy: the adapters say to pass the satchel the sessions module exports", async () => {
    const { satchel } = testSatchel<SessionTypes>(config);
    const copy = { ...satchel };
    const message =
      /satchel: this is not a satchel made by createSatchel\(\).*pass the satchel your generated sessions module exports/;
    expect(() => createNextSessions(copy)).toThrow(message);
    expect(() => createInspector(copy)).toThrow(message);
    const request = new Request("http://x/");
    await expect(fetchCsrfToken(copy, request, satchel.fromRequest(request))).rejects.toThrow(message);
  });
});
