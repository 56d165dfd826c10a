/**
 * The two packages as a user installs them: built and packed from the npm workspaces (`runtime/` is
 * `satchel`, `generator/` is `satchel-kit`), unpacked into a fresh app's node_modules, then used through
 * the kit's "bin" (`satchel gen`, `satchel secret`) and the runtime's "exports" (`satchel`,
 * `satchel/stores/*`, `satchel/next`) by plain Node, without tsx or path mapping. Everything else in
 * this repo runs the TypeScript sources.
 *
 * No registry traffic: the app links the repo's own copies of the packages the tarballs depend on.
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
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

type Target = string | { types: string; default: string };

interface PackageJson {
  name: string;
  bin?: Record<string, string>;
  exports: Record<string, Target>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Packed {
  name: string;
  filename: string;
  files: { path: string }[];
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

/** `satchel/next` in plain Node ESM (no bundler): every \`next/*\` specifier must resolve as written. */
const NEXT_ADAPTER = `const next = await import("satchel/next");
console.log(JSON.stringify(Object.keys(next).sort()));
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

/** Preloaded into `satchel secret`: reports at exit whether the compiler was loaded (CommonJS cache). */
const COMPILER_PROBE = `process.on("exit", () => {
  const loaded = Object.keys(require.cache).filter((file) => /[\\\\/](ts-morph|typescript)[\\\\/]/.test(file));
  process.stderr.write("compiler modules loaded: " + loaded.length + "\\n");
});
`;

function run(file: string, args: string[], cwd: string): string {
  return execFileSync(file, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Every file a package.json "bin" or "exports" entry points at. */
function targetsOf(pkg: PackageJson): string[] {
  const exported = Object.values(pkg.exports).flatMap((target) =>
    typeof target === "string" ? [target] : [target.types, target.default],
  );
  return [...Object.values(pkg.bin ?? {}), ...exported].map((target) => target.replace(/^\.\//, ""));
}

function readPackage(directory: string): PackageJson {
  return JSON.parse(readFileSync(path.join(REPO, directory, "package.json"), "utf8")) as PackageJson;
}

describe("the built packages", () => {
  // Building and installing two packages on a shared 2-core machine: no wall-clock limit.
  it("pack, install and run: `satchel gen` through the kit's bin, the runtime through exports, with plain Node", {
    timeout: 0,
  }, () => {
    // 1. Build, then pack exactly as published (the workspaces' "files" decide what ships).
    run("npm", ["run", "build"], REPO);
    const packed = JSON.parse(
      run("npm", ["pack", "--workspaces", "--json", "--ignore-scripts", "--pack-destination", root], REPO),
    ) as Packed[];
    const runtime = readPackage("runtime");
    const kit = readPackage("generator");
    const tarballs = new Map(packed.map((entry) => [entry.name, entry]));
    expect([...tarballs.keys()].sort()).toEqual([runtime.name, kit.name].sort());
    expect(kit.dependencies?.[runtime.name], "the kit pins the runtime's exact version").toBe("0.1.0");

    for (const [pkg, entry] of [
      [runtime, tarballs.get(runtime.name)],
      [kit, tarballs.get(kit.name)],
    ] as const) {
      const shipped = (entry?.files ?? []).map((file) => file.path);
      for (const target of targetsOf(pkg)) {
        expect(shipped, `${target} is not in the packed ${pkg.name}`).toContain(target);
      }
      // No test code, test support, fixtures, fuzz helpers or source maps in what users install.
      expect(
        shipped.filter((file) =>
          /\.test(-d)?\.|test-support|fixtures|conformance|counting|fuzz|security\/|\.map$|\.ts$(?<!\.d\.ts$)/.test(
            file,
          ),
        ),
      ).toEqual([]);
    }
    const kitFiles = (tarballs.get(kit.name)?.files ?? []).map((file) => file.path);
    expect(kitFiles).toContain("templates/sessions.ts.tpl");
    expect(kitFiles).toContain("templates/init/proxy.ts.tpl");
    expect(kitFiles).toContain("templates/init/instrumentation.ts.tpl");

    // 2. A fresh app: both tarballs unpacked into node_modules, plus what they depend on.
    const app = path.join(root, "app");
    for (const [name, entry] of tarballs) {
      const installed = path.join(app, "node_modules", name);
      mkdirSync(installed, { recursive: true });
      run("tar", ["-xzf", path.join(root, entry.filename), "-C", installed, "--strip-components=1"], root);
    }
    // What the two package.json files declare (dependencies and peers), from the repo's own install;
    // react and @next come with next.
    const needed = new Set(
      [runtime, kit].flatMap((pkg) => [
        ...Object.keys(pkg.dependencies ?? {}),
        ...Object.keys(pkg.peerDependencies ?? {}),
      ]),
    );
    for (const name of [runtime.name, kit.name, "ioredis", "pg", "memjs"]) needed.delete(name);
    for (const dependency of [...needed, "react", "react-dom", "@next"]) {
      symlinkSync(
        path.join(REPO, "node_modules", dependency),
        path.join(app, "node_modules", dependency),
        "dir",
      );
    }
    writeFileSync(path.join(app, "package.json"), '{ "type": "module" }\n');
    writeFileSync(path.join(app, "sessions.schema.ts"), SCHEMA);

    // 3. The kit's bin: `satchel gen`, `--check`, and `secret` without loading the compiler.
    const bin = path.join(app, "node_modules", kit.name, kit.bin?.satchel ?? "");
    const gen = run(process.execPath, [bin, "gen"], app);
    expect(gen).toContain("wrote generated/sessions.ts");
    const generated = readFileSync(path.join(app, "generated", "sessions.ts"), "utf8");
    expect(generated).toContain("export interface PrefsData {");
    expect(generated).toContain('theme: "light" | "dark";');
    expect(existsSync(path.join(app, "generated", "sessions.snapshot.json"))).toBe(true);
    expect(run(process.execPath, [bin, "gen", "--check"], app)).toContain("up to date");

    writeFileSync(path.join(app, "probe.cjs"), COMPILER_PROBE);
    const probed = (...args: string[]) =>
      spawnSync(process.execPath, ["--require", "./probe.cjs", bin, ...args], { cwd: app, encoding: "utf8" });
    const secret = probed("secret");
    expect(secret.stdout.trim()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(secret.stderr).toContain("compiler modules loaded: 0");
    expect(probed("--help").stderr).toContain("compiler modules loaded: 0");
    // The probe can see the compiler: gen does load it.
    expect(probed("gen", "--check").stderr).toMatch(/compiler modules loaded: [1-9]/);

    // 4. The runtime through "exports", by plain Node (no tsx, no tsconfig paths, no bundler).
    writeFileSync(path.join(app, "app.mjs"), APP);
    const result = JSON.parse(run(process.execPath, ["app.mjs"], app)) as unknown;
    expect(result).toEqual({ setCookie: 2, sealed: false, theme: "dark", items: ["tea"] });
    writeFileSync(path.join(app, "next-adapter.mjs"), NEXT_ADAPTER);
    expect(JSON.parse(run(process.execPath, ["next-adapter.mjs"], app))).toContain("createNextSessions");

    // 5. The "types" conditions: the generated module and app code typecheck against the shipped .d.ts.
    for (const dependency of ["@types", "typescript"]) {
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
