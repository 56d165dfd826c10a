/**
 * `satchel init`: scaffold `sessions.schema.ts`, generate the typed module, and wire Next.js
 * (`proxy.ts` and `instrumentation.ts`, in `src/` when the app uses it). Never overwrites an existing
 * file without `--force`: when any target exists, nothing is written at all. An existing
 * instrumentation.ts is not a target: it is never overwritten, and init says what to add to it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fillTemplate } from "../emit/templates.ts";
import { addScripts, ignoreDataDir } from "./app-files.ts";
import { writeChanged } from "./check.ts";
import { generate } from "./gen.ts";
import { newSecret } from "./secret.ts";

/** Options of `satchel init`. */
interface InitOptions {
  /** The app's root (where package.json is). */
  directory: string;
  /** Overwrite files that already exist. */
  force: boolean;
  /** Where messages go. Default: console. */
  log?: (line: string) => void;
}

function relativeImport(from: string, to: string): string {
  const relative = path
    .relative(path.dirname(from), to)
    .split(path.sep)
    .join("/")
    .replace(/\.tsx?$/, "");
  return relative.startsWith(".") ? relative : `./${relative}`;
}

/**
 * Writes `instrumentation.ts` (beside `proxy.ts`), whose `register()` checks the secrets when the
 * server starts. An app's own instrumentation.ts (OpenTelemetry, Sentry…) is never overwritten, not
 * even with `--force`: init prints the lines to add to it instead, unless it calls checkConfig already.
 */
function addInstrumentation(root: string, usesSrc: boolean, generatedPath: string): string[] {
  const file = path.join(root, usesSrc ? "src" : "", "instrumentation.ts");
  const shown = path.relative(process.cwd(), file) || file;
  const generatedImport = relativeImport(file, generatedPath);
  if (!existsSync(file)) {
    writeFileSync(file, fillTemplate("init/instrumentation.ts.tpl", { generatedImport }));
    return [`satchel: wrote ${shown}`];
  }
  if (readFileSync(file, "utf8").includes("checkConfig()")) return [];
  return [
    `satchel: ${shown} exists, so init left it alone. To stop the server at start on a missing or weak`,
    "  SESSION_SECRET (instead of at the first sign-in), add to its register():",
    '    if (process.env.NEXT_RUNTIME === "nodejs") {',
    `      const { satchel } = await import("${generatedImport}");`,
    "      try {",
    "        satchel.checkConfig();",
    "      } catch (error) {",
    "        console.error(error instanceof Error ? error.message : error);",
    '        if (process.env.NODE_ENV === "production") process.exit(1);',
    "        throw error;",
    "      }",
    "    }",
  ];
}

/** Runs init; returns the exit code. */
export async function initApp(options: InitOptions): Promise<number> {
  const log = options.log ?? ((line: string) => console.log(line));
  const root = options.directory;
  const usesSrc = existsSync(path.join(root, "src", "app"));
  const schemaPath = path.join(root, "sessions.schema.ts");
  const generatedPath = path.join(root, "generated", "sessions.ts");
  const proxyPath = path.join(root, usesSrc ? "src" : "", "proxy.ts");
  const files = [
    {
      path: schemaPath,
      content: fillTemplate("init/sessions.schema.ts.tpl", {
        outImport: relativeImport(schemaPath, generatedPath),
      }),
    },
    {
      path: proxyPath,
      content: fillTemplate("init/proxy.ts.tpl", {
        generatedImport: relativeImport(proxyPath, generatedPath),
      }),
    },
  ];
  const existing = [...files.map((f) => f.path), generatedPath].filter((file) => existsSync(file));
  if (existing.length > 0 && !options.force) {
    log(
      `satchel: init would overwrite ${existing.map((f) => path.relative(process.cwd(), f) || f).join(", ")}; ` +
        "nothing was written. Move them away or run `satchel init --force`.",
    );
    return 1;
  }
  for (const file of files) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(file.path, file.content);
    log(`satchel: wrote ${path.relative(process.cwd(), file.path) || file.path}`);
  }
  const middleware = ["middleware.ts", "src/middleware.ts"].find((file) => existsSync(path.join(root, file)));
  if (middleware) {
    log(
      `satchel: ${middleware} exists; Next 16 runs proxy.ts instead. Move its logic into ` +
        "`sessionProxy({ proxy: yourFunction })` in proxy.ts and delete it.",
    );
  }
  // The scripts first: the generated module's header names the command that regenerates it
  // (`npm run gen` once the script exists), so `gen --check` right after init finds nothing stale.
  for (const change of [ignoreDataDir(root), ...addScripts(root)]) {
    if (change) log(`satchel: ${change}`);
  }
  for (const line of addInstrumentation(root, usesSrc, generatedPath)) log(line);
  const result = await generate({ schemaPath, outPath: generatedPath });
  for (const error of result.errors) log(error);
  if (result.errors.length > 0) return 1;
  for (const written of writeChanged(result.files)) log(`satchel: wrote ${written}`);
  log(
    [
      "",
      "Next steps:",
      `  1. Put a secret in .env.local:  SESSION_SECRET=${newSecret()}`,
      "     (instrumentation.ts checks it when the server starts: without it, the server does not start)",
      '  2. In a route handler or server action:  const auth = await getSession("auth");',
      `     (import { getSession } from "${relativeImport(path.join(root, usesSrc ? "src/app/x.ts" : "app/x.ts"), generatedPath)}")`,
      "  3. After editing sessions.schema.ts, run `npm run gen` (or `npx satchel gen --watch`);",
      "     `npm run dev` and `npm run build` run it first (predev, prebuild).",
      "  Another secret at any time: `npx satchel secret`. Without SESSION_STORE_URL, store sessions live in .data/.",
    ].join("\n"),
  );
  return 0;
}
