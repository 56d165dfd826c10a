/**
 * A throwaway app directory for generator tests: its own tsconfig mapping `satchel` to the runtime
 * sources and a link to this repo's node_modules, so a schema there loads exactly like the root one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** A temporary project; `remove()` deletes it. */
export interface TempProject {
  dir: string;
  schemaPath: string;
  outPath: string;
  snapshotPath: string;
  write(relative: string, content: string): void;
  read(relative: string): string;
  remove(): void;
}

/** Creates a project whose `sessions.schema.ts` holds `schema`. */
export function tempProject(schema?: string): TempProject {
  const dir = mkdtempSync(path.join(tmpdir(), "satchel-gen-"));
  symlinkSync(path.join(REPO, "node_modules"), path.join(dir, "node_modules"), "dir");
  // An ES module package, like this repo and modern Next.js apps: stack traces keep their lines.
  writeFileSync(path.join(dir, "package.json"), '{ "type": "module" }\n');
  const runtime = (file: string) => path.join(REPO, "runtime", file);
  writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          module: "ESNext",
          moduleResolution: "Bundler",
          target: "ES2022",
          allowImportingTsExtensions: true,
          noEmit: true,
          skipLibCheck: true,
          paths: {
            satchel: [runtime("index.ts")],
            "satchel/next": [runtime("next/index.ts")],
            "satchel/internal": [runtime("internal.ts")],
            "satchel/stores/*": [runtime("stores/*.ts")],
          },
        },
      },
      null,
      2,
    ),
  );
  const project: TempProject = {
    dir,
    schemaPath: path.join(dir, "sessions.schema.ts"),
    outPath: path.join(dir, "generated", "sessions.ts"),
    snapshotPath: path.join(dir, "generated", "sessions.snapshot.json"),
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, content);
    },
    read(relative) {
      return readFileSync(path.join(dir, relative), "utf8");
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
  if (schema !== undefined) project.write("sessions.schema.ts", schema);
  return project;
}

/** A schema file with the given `defineSessions({...})` body (zod imported as `z`). */
export function schemaSource(body: string, prelude = ""): string {
  return `import { defineSessions } from "satchel";\nimport { z } from "zod";\n${prelude}\nexport default defineSessions({\n${body}\n});\n`;
}
