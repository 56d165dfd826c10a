/**
 * Finds schema parts whose values cannot be stored in a session: superjson round-trips plain data,
 * Date, Map, Set and BigInt, but not functions, symbols, promises or class instances zod only checks
 * with `instanceof`/`custom`. Walks zod 4's `_zod.def` tree, so any copy of zod works.
 */

/** One field that cannot be stored, with a reason a user understands. */
interface Unserializable {
  /** Dotted path from the session's top level, e.g. `items[].sku`; empty for the root. */
  path: string;
  kind: string;
  why: string;
}

type Def = {
  type?: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  options?: unknown[];
  left?: unknown;
  right?: unknown;
  keyType?: unknown;
  valueType?: unknown;
  items?: unknown[];
  rest?: unknown;
  in?: unknown;
  out?: unknown;
  getter?: () => unknown;
};

const REASONS: Record<string, string> = {
  function: "a function cannot be serialized into a cookie or a store record",
  symbol: "a symbol cannot be serialized into a cookie or a store record",
  promise: "a promise cannot be stored; await it and store the result",
  custom:
    "zod can only check it with instanceof/custom, so it cannot be serialized and read back as that class",
};

function defOf(schema: unknown): Def | undefined {
  const internals = (schema as { _zod?: { def?: Def } } | null)?._zod;
  return internals?.def;
}

/** Every non-serializable part of `schema` (empty when all of it can be stored). */
export function findUnserializable(schema: unknown): Unserializable[] {
  const found: Unserializable[] = [];
  const seen = new Set<unknown>();
  const visit = (node: unknown, path: string): void => {
    const def = defOf(node);
    if (!def || seen.has(node)) return;
    seen.add(node);
    const why = def.type ? REASONS[def.type] : undefined;
    if (why && def.type) {
      found.push({ path, kind: def.type, why });
      return;
    }
    const join = (key: string) => (path ? `${path}.${key}` : key);
    switch (def.type) {
      case "object":
        for (const [key, child] of Object.entries(def.shape ?? {})) visit(child, join(key));
        break;
      case "array":
        visit(def.element, `${path}[]`);
        break;
      case "set":
        visit(def.valueType, `${path}[]`);
        break;
      case "record":
      case "map":
        visit(def.keyType, `${path}<key>`);
        visit(def.valueType, `${path}<value>`);
        break;
      case "tuple":
        for (const [index, item] of (def.items ?? []).entries()) visit(item, `${path}[${index}]`);
        if (def.rest) visit(def.rest, `${path}[]`);
        break;
      case "union":
        for (const option of def.options ?? []) visit(option, path);
        break;
      case "intersection":
        visit(def.left, path);
        visit(def.right, path);
        break;
      case "pipe":
        visit(def.in, path);
        visit(def.out, path);
        break;
      case "lazy":
        visit(def.getter?.(), path);
        break;
      default:
        if (def.innerType) visit(def.innerType, path);
    }
  };
  visit(schema, "");
  return found;
}
