#!/usr/bin/env node
/**
 * The `satchel` CLI: `gen` (with `--check`, `--watch`, `--accept-breaking`), `init` and `secret`.
 * Exit codes: 0 success, 1 stale output (`--check`) or a schema error, 2 wrong usage.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { plural } from "./commands/plural.ts";
import { regenerateCommand } from "./commands/regenerate-command.ts";
import { newSecret } from "./commands/secret.ts";
import { findUp } from "./schema/find-up.ts";

// gen, init and watch load the TypeScript compiler (ts-morph) and tsx: about a second and 100 MB.
// They are imported when their command runs, so `satchel secret` and `satchel --help` start at once.

const USAGE = `Usage:
  satchel gen [--schema sessions.schema.ts] [--out generated/sessions.ts] [--check | --watch] [--accept-breaking]
  satchel init [--dir .] [--force]
  satchel secret

gen               write the typed session module and the schema snapshot
  --check         exit 1 when the files on disk are not what gen would write (CI)
  --watch         regenerate on every save of the schema or a file it imports
  --accept-breaking  accept breaking schema changes without a migration: old sessions are reset
init              scaffold sessions.schema.ts, run gen, add proxy.ts to a Next.js app
secret            print a new SESSION_SECRET (256-bit, base64url)`;

/** The schema: `--schema`, else the nearest sessions.schema.ts at or above the working directory. */
function findSchema(given: string | undefined): string | undefined {
  return given ? path.resolve(given) : findUp(process.cwd(), "sessions.schema.ts");
}

async function gen(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      schema: { type: "string" },
      out: { type: "string" },
      check: { type: "boolean", default: false },
      watch: { type: "boolean", default: false },
      "accept-breaking": { type: "boolean", default: false },
    },
  });
  const schemaPath = findSchema(values.schema);
  if (!schemaPath || !existsSync(schemaPath)) {
    console.error(
      `satchel: no schema file ${values.schema ? `at ${values.schema}` : "sessions.schema.ts here or above"}; pass --schema <file> or run \`satchel init\`.`,
    );
    return 1;
  }
  // Start executing the schema first: the loader thread resolves and compiles its files while this
  // thread loads the TypeScript compiler (commands/gen.ts), instead of after the type checker is done.
  const { preloadSchema } = await import("./schema/load-schema.ts");
  void preloadSchema(schemaPath);
  const [{ defaultOutPath, generate }, { findStale, staleReport, writeChanged }] = await Promise.all([
    import("./commands/gen.ts"),
    import("./commands/check.ts"),
  ]);
  const outPath = values.out ? path.resolve(values.out) : defaultOutPath(schemaPath);
  const options = { schemaPath, outPath, acceptBreaking: values["accept-breaking"] };
  if (values.watch) {
    const { watchSchema } = await import("./commands/watch.ts");
    const watcher = watchSchema(options);
    console.log(`satchel: watching ${path.relative(process.cwd(), schemaPath)} (Ctrl-C to stop)`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await watcher.close();
    return 0;
  }
  const result = await generate(options);
  for (const error of result.errors) console.error(error);
  if (result.errors.length > 0) return 1;
  if (values.check) {
    const stale = findStale(result.files);
    const given = [
      ...(values.schema ? ["--schema", values.schema] : []),
      ...(values.out ? ["--out", values.out] : []),
    ];
    if (stale.length > 0) console.error(staleReport(stale, regenerateCommand(schemaPath, given)));
    if (stale.length === 0)
      console.log(
        `satchel: ${result.files.map((f) => path.relative(process.cwd(), f.path)).join(", ")} up to date.`,
      );
    return stale.length > 0 ? 1 : 0;
  }
  for (const note of result.notes) console.log(`satchel: ${note}`);
  const written = writeChanged(result.files);
  console.log(
    written.length > 0
      ? `satchel: wrote ${written.join(", ")} (${plural(result.sessionCount, "session")})`
      : `satchel: ${path.relative(process.cwd(), outPath)} is up to date (${plural(result.sessionCount, "session")})`,
  );
  return 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "gen":
        return await gen(rest);
      case "init": {
        const { values } = parseArgs({
          args: rest,
          options: { dir: { type: "string", default: "." }, force: { type: "boolean", default: false } },
        });
        const { initApp } = await import("./commands/init.ts");
        return await initApp({ directory: path.resolve(values.dir), force: values.force });
      }
      case "secret":
        console.log(newSecret());
        return 0;
      case undefined:
      case "help":
      case "--help":
      case "-h":
        console.log(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`satchel: unknown command "${command}".\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      console.error(`satchel: ${error.message}\n${USAGE}`);
      return 2;
    }
    console.error(error instanceof Error ? error.message : String(error));
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
