/**
 * `npm test` on a fresh machine: the pretest step names and installs what the suites need. Run here in
 * `--dry-run`, over a PATH that lacks the servers, so it must name them without touching the machine.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const script = new URL("./test-prerequisites.mjs", import.meta.url).pathname;
const bare = mkdtempSync(join(tmpdir(), "satchel-bare-path-"));
symlinkSync(process.execPath, join(bare, "node"));
symlinkSync(execFileSync("sh", ["-c", "command -v sh"], { encoding: "utf8" }).trim(), join(bare, "sh"));
afterAll(() => rmSync(bare, { recursive: true, force: true }));

const dryRun = (env: NodeJS.ProcessEnv) =>
  execFileSync(process.execPath, [script, "--dry-run"], { encoding: "utf8", env });

describe("npm test's prerequisites", () => {
  it("names memcached, redis-server and Chromium for installation on a machine without them", () => {
    const out = dryRun({ PATH: bare, CHROMIUM_PATH: join(bare, "no-chromium") });
    expect(out).toContain("installing memcached, redis-server, chromium (apt-get)");
  });

  it("installs nothing where everything is present (as on this machine after the pretest step)", () => {
    const out = dryRun({ ...process.env });
    expect(out).not.toContain("installing");
  });

  it("can be switched off for machines set up another way", () => {
    const out = dryRun({
      PATH: bare,
      CHROMIUM_PATH: join(bare, "no-chromium"),
      SATCHEL_SKIP_PREREQUISITES: "1",
    });
    expect(out).toBe("");
  });
});
