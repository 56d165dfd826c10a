/**
 * Reads the skeletons in `templates/` and fills `{{placeholders}}`. The folder sits next to
 * `generator/` in the sources and next to `dist/` in the published package: two levels above this
 * file either way.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const directory = fileURLToPath(new URL("../../templates/", import.meta.url));

const cache = new Map<string, string>();

/** A template's text with every `{{key}}` replaced; an unknown key is a bug, so it throws. */
export function fillTemplate(name: string, values: Record<string, string>): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readTemplate(name);
    cache.set(name, text);
  }
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`satchel: template ${name} needs a value for {{${key}}}`);
    return value;
  });
}

function readTemplate(name: string): string {
  const file = directory + name;
  if (!existsSync(file)) {
    throw new Error(`satchel: template ${name} is missing from the package; reinstall satchel-kit.`);
  }
  return readFileSync(file, "utf8");
}
