/**
 * How the inspector names a field's type: as the zod schema declares it, written the way the
 * generated module's types read (`"admin" | "member"`, `string | null`, `{ sku: string; qty: number }[]`),
 * with `?` after a field that may be absent (`Date?`). The value's own runtime type would say
 * `string` for an enum and nothing at all for an unset optional field.
 * @internal
 */

type Def = Record<string, unknown> & { type: string };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Nested object types past this depth print as `{ … }`: the column shows a field, not a document. */
const MAX_OBJECT_DEPTH = 3;

/** A printed type and whether it is a union or intersection at its top (needs parentheses in `T[]`). */
interface Printed {
  text: string;
  compound: boolean;
}

const plain = (text: string): Printed => ({ text, compound: false });

/** The type of a top-level session field, e.g. `"en" | "de"`, `string | null`, `number?`. */
export function fieldTypeName(schema: unknown): string {
  const absent = mayBeAbsent(schema);
  const printed = print(schema, { seen: new Set(), depth: 0 }, absent);
  return absent ? `${element(printed)}?` : printed.text;
}

/**
 * True when the field may be missing from the data: `optional()` outside any `default()` (which
 * fills it in) or `nonoptional()`.
 */
function mayBeAbsent(schema: unknown): boolean {
  const def = defOf(schema);
  switch (def.type) {
    case "optional":
      return true;
    case "nullable":
    case "readonly":
    case "catch":
      return mayBeAbsent(def.innerType);
    default:
      return false;
  }
}

interface Walk {
  /** Lazy schemas being printed: a recursive one prints as `…` where it recurs. */
  seen: Set<unknown>;
  depth: number;
}

/**
 * The output type of `schema`. `absent`: the caller shows absence itself (a field's `?`, or a
 * `default()` that fills it in), so `optional()` adds no `| undefined`.
 */
function print(schema: unknown, walk: Walk, absent = false): Printed {
  const def = defOf(schema);
  switch (def.type) {
    case "string":
    case "template_literal":
      return plain("string");
    case "number":
    case "nan":
      return plain("number");
    case "success":
      return plain("boolean");
    case "boolean":
    case "bigint":
    case "symbol":
    case "null":
    case "undefined":
    case "void":
    case "never":
    case "any":
    case "unknown":
      return plain(def.type);
    case "date":
      return plain("Date");
    case "file":
      return plain("File");
    case "custom":
      return plain("custom");
    case "transform":
      // What a transform returns is known to TypeScript only, not to the schema at run time.
      return plain("unknown");
    case "function":
      return plain("function");
    case "enum":
      return union(Object.values(def.entries as Record<string, unknown>).map((v) => plain(literal(v))));
    case "literal":
      return union((def.values as unknown[]).map((v) => plain(literal(v))));
    case "optional":
      return absent
        ? print(def.innerType, walk, true)
        : union([print(def.innerType, walk), plain("undefined")]);
    case "default":
    case "prefault":
    case "nonoptional":
      return print(def.innerType, walk, true);
    case "nullable":
      return union([print(def.innerType, walk, absent), plain("null")]);
    case "readonly":
    case "catch":
      return print(def.innerType, walk, absent);
    case "pipe":
      // preprocess(fn, schema) is pipe(transform, schema): the output is the schema's.
      return print(def.out, walk, absent);
    case "promise":
      return plain(`Promise<${print(def.innerType, walk).text}>`);
    case "lazy": {
      if (walk.seen.has(schema)) return plain("…");
      walk.seen.add(schema);
      const inner = print((def.getter as () => unknown)(), walk, absent);
      walk.seen.delete(schema);
      return inner;
    }
    case "array":
      return plain(`${element(print(def.element, walk))}[]`);
    case "set":
      return plain(`Set<${print(def.valueType, walk).text}>`);
    case "map":
      return plain(`Map<${print(def.keyType, walk).text}, ${print(def.valueType, walk).text}>`);
    case "record":
      return plain(`Record<${print(def.keyType, walk).text}, ${print(def.valueType, walk).text}>`);
    case "tuple": {
      const items = (def.items as unknown[]).map((item) => print(item, walk).text);
      if (def.rest !== null && def.rest !== undefined) items.push(`...${element(print(def.rest, walk))}[]`);
      return plain(`[${items.join(", ")}]`);
    }
    case "union":
      return union((def.options as unknown[]).map((option) => print(option, walk)));
    case "intersection":
      return {
        text: `${element(print(def.left, walk))} & ${element(print(def.right, walk))}`,
        compound: true,
      };
    case "object":
      return plain(objectType(def, walk));
    default:
      return plain(def.type);
  }
}

/** `{ a: string; b?: number }`, or `{ … }` past `MAX_OBJECT_DEPTH`. */
function objectType(def: Def, walk: Walk): string {
  if (walk.depth >= MAX_OBJECT_DEPTH) return "{ … }";
  const inner: Walk = { seen: walk.seen, depth: walk.depth + 1 };
  const shape = def.shape as Record<string, unknown>;
  const fields = Object.entries(shape).map(([key, field]) => {
    const absent = mayBeAbsent(field);
    return `${propertyName(key)}${absent ? "?" : ""}: ${print(field, inner, absent).text}`;
  });
  const catchall = def.catchall === undefined ? undefined : defOf(def.catchall).type;
  if (catchall !== undefined && catchall !== "never") {
    fields.push(`[key: string]: ${print(def.catchall, inner).text}`);
  }
  return fields.length === 0 ? "{}" : `{ ${fields.join("; ")} }`;
}

/** Members joined with ` | `, each once (`string | null | null` says nothing more). */
function union(members: Printed[]): Printed {
  const texts = [...new Set(members.map((member) => member.text))];
  return { text: texts.join(" | "), compound: texts.length > 1 };
}

/** A type as an array element or an intersection member: parenthesized when it is a union. */
function element(printed: Printed): string {
  return printed.compound ? `(${printed.text})` : printed.text;
}

function literal(value: unknown): string {
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined) return "undefined";
  return JSON.stringify(value) ?? String(value);
}

/** A key as TypeScript writes it: bare when it is an identifier, quoted otherwise. */
function propertyName(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? key : JSON.stringify(key);
}
