/**
 * The package as a user installs it: compiled with tsconfig.build.json, packed with `npm pack` (so
 * only what package.json "files" lists ships), unpacked into a fresh app's node_modules, then used
 * through package.json "bin" (`satchel gen`) and "exports" (`satchel`, `satchel/stores/*`) by plain
 * Node, without tsx or path mapping. Everything else in this repo runs the TypeScript sources.
 */
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { REPO } from "./test-support/temp-project.ts";

interface PackageJson {
  bin: Record<string, string>;
  exports: Record<string, string | { types: string; default: string }>;
}

const root = mkdtempSync(path.join(tmpdir(), "satchel-built-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const SCHEMA = `import { defineSessions } from "satchel";
import { z } from "zod";

export default defineSessions({
  prefs: { storage: "cookie", schema: z.object({ theme: z.enum(["light", "dark"]).default("light") }) },
});
`;

/** Plain Node ESM: seals a cookie and a store session with handle(), reads both back with fromRequest(). */
const APP = `import { createSatchel, defineSessions } from "satchel";
import { createMemoryStore } from "satchel/stores/memory";
import { z } from "zod";

const config = defineSessions(
  {
    prefs: { storage: "cookie", schema: z.object({ theme: z.enum(["light", "dark"]).default("light") }), cookie: { secure: false } },
    cart: { storage: "store", schema: z.object({ items: z.array(z.string()).default([]) }), cookie: { secure: false } },
  },
  { secrets: "built-package-test-secret-0123456789abcdef", store: () => createMemoryStore() },
);
const satchel = createSatchel(config);
const app = satchel.handle(async (request, sessions) => {
  const prefs = await sessions.get("prefs");
  const cart = await sessions.get("cart");
  prefs.theme = "dark";
  cart.items = [...cart.items, "tea"];
  return new Response("saved");
});
const saved = await app(new Request("http://localhost/", { method: "POST" }));
const setCookie = saved.headers.getSetCookie();
const cookie = setCookie.map((line) => line.split(";")[0]).join("; ");
const later = satchel.fromRequest(new Request("http://localhost/", { headers: { cookie } }));
const prefs = await later.get("prefs");
const cart = await later.get("cart");
console.log(JSON.stringify({ setCookie: setCookie.length, sealed: cookie.includes("dark"), theme: prefs.theme, items: cart.items }));
await satchel.close();
`;

const TSCONFIG = {
  strict: true,
  target: "ES2022",
  module: "ESNext",
  moduleResolution: "Bundler",
  types: ["node"],
  skipLibCheck: true,
  noEmit: true,
};

/** App code against the generated module: right types compile, a wrong value is refused. */
const USAGE = `import { fromRequest, type PrefsData } from "./generated/sessions";

export async function theme(request: Request): Promise<PrefsData["theme"]> {
  const prefs = await fromRequest(request).get("prefs");
  // @ts-expect-error "blue" is not in the schema's enum
  prefs.theme = "blue";
  return prefs.theme;
}
`;

function run(file: string, args: string[], cwd: string): string {
  return execFileSync(file, args, {
    cwd,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 90_000,
  });
}

describe("the built package", () => {
  it("packs, installs and runs: `satchel gen` through bin, the runtime through exports, with plain Node", {
    timeout: 150_000,
  }, () => {
    // 1. Build and pack exactly as published: package.json + dist + templates, filtered by "files".
    const stage = path.join(root, "stage");
    mkdirSync(stage);
    run(
      process.execPath,
      [
        path.join(REPO, "node_modules/typescript/bin/tsc"),
        "-p",
        "tsconfig.build.json",
        "--outDir",
        path.join(stage, "dist"),
      ],
      REPO,
    );
    cpSync(path.join(REPO, "package.json"), path.join(stage, "package.json"));
    cpSync(path.join(REPO, "templates"), path.join(stage, "templates"), { recursive: true });
    const packed = JSON.parse(
      run("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", root], stage),
    ) as {
      filename: string;
      files: { path: string }[];
    }[];
    const shipped = new Set(packed[0]?.files.map((file) => file.path));

    // Every "bin" and "exports" target ships (one store stands in for the "./stores/*" pattern).
    const pkg = JSON.parse(readFileSync(path.join(REPO, "package.json"), "utf8")) as PackageJson;
    const targets = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((target) =>
        typeof target === "string" ? [target] : [target.types, target.default],
      ),
    ].map((target) => target.replace(/^\.\//, "").replace("*", "memory"));
    for (const target of targets) expect(shipped, `${target} is not in the packed package`).toContain(target);
    expect(shipped).toContain("templates/sessions.ts.tpl");
    expect(shipped).toContain("templates/init/proxy.ts.tpl");
    expect([...shipped].filter((file) => file.endsWith(".test.js") || file.startsWith("runtime/"))).toEqual(
      [],
    );

    // 2. A fresh app: the unpacked tarball plus the packages satchel and its generator need.
    const app = path.join(root, "app");
    const installed = path.join(app, "node_modules", "satchel");
    mkdirSync(installed, { recursive: true });
    run(
      "tar",
      ["-xzf", path.join(root, packed[0]?.filename ?? ""), "-C", installed, "--strip-components=1"],
      root,
    );
    for (const dependency of ["zod", "superjson", "ts-morph", "tsx"]) {
      symlinkSync(
        path.join(REPO, "node_modules", dependency),
        path.join(app, "node_modules", dependency),
        "dir",
      );
    }
    writeFileSync(path.join(app, "package.json"), '{ "type": "module" }\n');
    writeFileSync(path.join(app, "sessions.schema.ts"), SCHEMA);

    // 3. `satchel gen` through the "bin" entry.
    const bin = path.join(installed, pkg.bin.satchel ?? "");
    const gen = run(process.execPath, [bin, "gen"], app);
    expect(gen).toContain("wrote generated/sessions.ts");
    const generated = readFileSync(path.join(app, "generated", "sessions.ts"), "utf8");
    expect(generated).toContain("export interface PrefsData {");
    expect(generated).toContain('theme: "light" | "dark";');
    expect(existsSync(path.join(app, "generated", "sessions.snapshot.json"))).toBe(true);
    expect(run(process.execPath, [bin, "gen", "--check"], app)).toContain("up to date");

    // 4. The runtime through "exports", by plain Node (no tsx, no tsconfig paths).
    writeFileSync(path.join(app, "app.mjs"), APP);
    const result = JSON.parse(run(process.execPath, ["app.mjs"], app)) as unknown;
    expect(result).toEqual({ setCookie: 2, sealed: false, theme: "dark", items: ["tea"] });

    // 5. The "types" conditions: the generated module and app code typecheck against the shipped .d.ts.
    for (const dependency of ["next", "@types", "typescript"]) {
      symlinkSync(
        path.join(REPO, "node_modules", dependency),
        path.join(app, "node_modules", dependency),
        "dir",
      );
    }
    writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({ compilerOptions: TSCONFIG, include: ["*.ts", "generated/*.ts"] }),
    );
    writeFileSync(path.join(app, "usage.ts"), USAGE);
    const tsc = path.join(app, "node_modules", "typescript", "bin", "tsc");
    expect(run(process.execPath, [tsc, "-p", "tsconfig.json"], app)).toBe("");
  });
});
