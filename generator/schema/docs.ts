/**
 * Field docs travel: a description written in the schema with zod (`.describe("...")` or
 * `.meta({ description })`) on a field, a session's schema or a flash channel becomes the JSDoc of the
 * generated member, and `.meta({ deprecated: true })` becomes `@deprecated`, so editors show both on
 * hover. Read from the executed schema: zod 4 keeps metadata in `z.globalRegistry`, one entry per
 * schema instance.
 */
import { z } from "zod";
import type { LoadedSession } from "./load-schema.ts";

/** What the schema says about one member. */
export interface Doc {
  description?: string;
  deprecated?: boolean;
}

/** The docs of one session, by member. */
export interface SessionDocs {
  /** From the session's `schema` itself. */
  session: Doc | undefined;
  /** Top-level data fields, by name. */
  fields: Record<string, Doc>;
  /** Flash channels, by name. */
  flash: Record<string, Doc>;
}

type Definition = {
  type?: string;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  shape?: Record<string, unknown>;
};

function definitionOf(schema: unknown): Definition | undefined {
  return (schema as { _zod?: { def?: Definition } } | undefined)?._zod?.def;
}

/**
 * The schemas a value passes through, outermost first. Wrappers are new instances that do not inherit
 * metadata: in `z.string().describe("x").optional()` the description sits on the inner string.
 */
function layers(schema: unknown): unknown[] {
  const found: unknown[] = [];
  const pending = [schema];
  while (pending.length > 0 && found.length < 32) {
    const current = pending.shift();
    if (current === undefined || found.includes(current)) continue;
    found.push(current);
    const definition = definitionOf(current);
    if (definition?.innerType !== undefined) pending.push(definition.innerType);
    if (definition?.type === "pipe") pending.push(definition.in, definition.out);
  }
  return found;
}

/** The description (outermost wins) and deprecation of a schema; undefined when it has neither. */
export function docOf(schema: unknown): Doc | undefined {
  const doc: Doc = {};
  for (const layer of layers(schema)) {
    const meta = z.globalRegistry.get(layer as z.core.$ZodType);
    if (doc.description === undefined && typeof meta?.description === "string" && meta.description.trim())
      doc.description = meta.description.trim();
    if (meta?.deprecated === true) doc.deprecated = true;
  }
  return doc.description !== undefined || doc.deprecated ? doc : undefined;
}

/** The docs of the top-level fields of an object schema (a session's data, a token's), by name. */
export function fieldDocs(schema: unknown): Record<string, Doc> {
  const fields: Record<string, Doc> = {};
  const object = layers(schema).find((layer) => definitionOf(layer)?.type === "object");
  for (const [name, field] of Object.entries(definitionOf(object)?.shape ?? {})) {
    const doc = docOf(field);
    if (doc) fields[name] = doc;
  }
  return fields;
}

/** The docs of a loaded session's schema, fields and flash channels. */
export function sessionDocs(session: LoadedSession): SessionDocs {
  const flash: Record<string, Doc> = {};
  for (const [name, channel] of Object.entries(session.flash)) {
    const doc = docOf(channel);
    if (doc) flash[name] = doc;
  }
  return { session: docOf(session.schema), fields: fieldDocs(session.schema), flash };
}

/**
 * A JSDoc comment: `lines` of text (paragraphs separated by empty strings), then `@deprecated` when
 * asked; one line when it fits that way. Empty when there is nothing to say.
 */
export function jsDoc(lines: string[], deprecated: boolean, indent: string): string {
  // `*/` inside a description would end the comment early.
  const text = lines
    .flatMap((line) => line.split("\n"))
    .map((line) => line.trimEnd().replaceAll("*/", "*\\/"));
  const body = deprecated ? [...text, "@deprecated"] : text;
  if (body.length === 0) return "";
  if (body.length === 1) return `${indent}/** ${body[0]} */`;
  return [`${indent}/**`, ...body.map((line) => `${indent} *${line ? ` ${line}` : ""}`), `${indent} */`].join(
    "\n",
  );
}

/** A member's JSDoc from its doc, or empty. */
export function memberDoc(doc: Doc | undefined, indent: string): string {
  return doc ? jsDoc(doc.description ? [doc.description] : [], doc.deprecated === true, indent) : "";
}
