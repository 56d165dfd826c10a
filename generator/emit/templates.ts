/**
 * Reads the skeletons in `templates/` and fills `{{placeholders}}`. The folder sits next to
 * `generator/` in the sources and next to `dist/` in the published package.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const candidates = ["../../templates/"].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));

/** Absolute path of a file in `templates/`. */
export function templatePath(name: string): string {
  for (const directory of candidates) {
    if (existsSync(directory + name)) return directory + name;
  }
  throw new Error(`satchel: template ${name} is missing from the package; reinstall satchel.`);
}

const cache = new Map<string, string>();

/** A template's text with every `{{key}}` replaced; an unknown key is a bug, so it throws. */
export function fillTemplate(name: string, values: Record<string, string>): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(templatePath(name), "utf8");
    cache.set(name, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`satchel: template ${name} needs a value for {{${key}}}`);
    return value;
  });
}
