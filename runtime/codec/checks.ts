/**
 * What a session schema checks, apart from its layout: the rule that decides when zod may be
 * skipped.
 *
 * The rule (SECURITY.md states it): the user's functions always run. A schema with a `refine`,
 * `superRefine`, `check`, `transform`, `preprocess`, `z.custom`, a custom string format or a zod
 * `overwrite` (`trim`, `toLowerCase`, …) runs zod on every read and every write (`runsUserCode`): a
 * function may close over configuration the schema's text does not show, so no hash can say two
 * builds agree on it. Only checks declared with literals (types, `int`, `min`/`max`, lengths,
 * `regex`, enums, formats with a pattern) are trusted by hash (`checksHash`, fingerprint.ts).
 */
type ZodDef = Record<string, unknown> & { type: string; checks?: unknown[] };
const defOf = (node: unknown) => (node as { _zod: { def: ZodDef } })._zod.def;
const isZod = (node: unknown): boolean => typeof node === "object" && node !== null && "_zod" in node;

/** Schema types whose parsing runs a function the app wrote (or one zod cannot see into). */
const USER_TYPES = new Set(["transform", "custom", "lazy", "promise", "function"]);
/** Check kinds that run a function the app wrote, or rewrite the value (`trim`, `toLowerCase`). */
const USER_CHECKS = new Set(["custom", "overwrite"]);

/**
 * True when parsing `schema` runs a function of the app's (see the module comment): such a schema
 * runs zod on every read, whatever the token's checks say.
 */
export function runsUserCode(schema: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (node: unknown): boolean => {
    if (typeof node !== "object" || node === null || seen.has(node)) return false;
    seen.add(node);
    if (!isZod(node)) return Object.values(node).some(visit); // a shape, a list of options
    const def = defOf(node);
    if (USER_TYPES.has(def.type)) return true;
    if (USER_CHECKS.has(def.check as string) || typeof def.fn === "function") return true;
    return Object.values(def).some((value) => (Array.isArray(value) ? value.some(visit) : visit(value)));
  };
  return visit(schema);
}
