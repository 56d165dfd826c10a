/**
 * Small pieces of TypeScript source the codec emitters share: literals, keys, property reads, names,
 * indentation and the negation of a check, written the way a person would write them.
 */
import type { PlanLiteral } from "satchel/internal";

/** Names an object key can be read by with a dot. */
export const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Keys every object inherits: read as own properties only, or an absent field would look present. */
export const INHERITED = new Set(Object.getOwnPropertyNames(Object.prototype));

/** A JSON literal as TypeScript source (numbers JSON cannot spell included). */
export function literal(value: PlanLiteral): string {
  if (typeof value === "number") {
    if (Object.is(value, -0)) return "-0";
    if (!Number.isFinite(value))
      return Number.isNaN(value) ? "Number.NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  return JSON.stringify(value);
}

/** `record["key"]` or `data.key`: how emitted code reads a field. */
export function member(object: string, key: string, dot: boolean): string {
  return dot && IDENTIFIER.test(key) ? `${object}.${key}` : `${object}[${JSON.stringify(key)}]`;
}

/** A key in an object literal. */
export function literalKey(key: string): string {
  return IDENTIFIER.test(key) ? key : JSON.stringify(key);
}

/** `Auth` + `billing` → `AuthBilling`: helper names read like the path they handle. */
export function pascal(segment: string): string {
  const words = segment.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join("");
}

/** Lines one level deeper (two spaces); blank lines stay empty. */
export const indent = (lines: string[]) => lines.map((line) => (line === "" ? line : `  ${line}`));

/** A function declaration: `function name(...): type {`, the body one level deeper, `}`. */
export function functionSource(name: string, signature: string, body: string[]): string {
  return `function ${name}${signature} {\n${indent(body).join("\n")}\n}`;
}

/** A wire object's own field: a key every object inherits (`constructor`, …) reads as absent. */
export function ownRead(source: string, key: string): string {
  return INHERITED.has(key)
    ? `Object.hasOwn(${source}, ${JSON.stringify(key)}) ? ${member(source, key, false)} : undefined`
    : member(source, key, false);
}

/** `value["key"]`: the target of a field write. */
export function assign(object: string, key: string): string {
  return member(object, key, false);
}

/** `!check`, written the way a person would (`typeof x !== "string"`, `!isRoles(x)`). */
export function negated(check: string): string {
  if (check.includes(" || ")) return `!(${check})`;
  const compare = /^(typeof [\w$]+|[\w$]+) === (.+)$/.exec(check);
  if (compare) return `${compare[1]} !== ${compare[2]}`;
  return /^[\w$.]+\([^()]*\)$/.test(check) ? `!${check}` : `!(${check})`;
}

/** Checks are `a || b` chains of comparisons and calls: only a chain needs parentheses inside another. */
export const parenthesized = (expression: string) =>
  expression.includes(" || ") ? `(${expression})` : expression;
