import { expect, it } from "vitest";
import { detachDefineCall } from "./detach-call.ts";

it("blanks the defineSessions callee of the default export, keeping every position", () => {
  const text = `import { defineSessions } from "satchel";\nexport default defineSessions({\n  a: { storage: "cookie" },\n});\n`;
  const detached = detachDefineCall(text, "s.ts");
  expect(detached).toHaveLength(text.length);
  expect(detached).toContain(`export default               ({\n  a: { storage: "cookie" },\n});`);
  expect(detached.split("\n").length).toBe(text.split("\n").length);
});

it("follows a variable and skips type arguments", () => {
  const text = `const config = satchel.defineSessions<Defs>({ a: {} }) satisfies object;\nexport default config;\n`;
  expect(detachDefineCall(text, "s.ts")).toBe(
    `const config =                             ({ a: {} }) satisfies object;\nexport default config;\n`,
  );
});

it("keeps the options argument beside the definitions, as a comma expression", () => {
  const text = `export default defineSessions({ a: {} }, { tokens: {} });\n`;
  expect(detachDefineCall(text, "s.ts")).toBe(`export default               ({ a: {} }, { tokens: {} });\n`);
});

it("drops a trailing comma after the last argument, which a parenthesized expression cannot have", () => {
  const text = `export default defineSessions(\n  { a: {} },\n  { tokens: {} } /* a, b */,\n);\n`;
  const detached = detachDefineCall(text, "s.ts");
  expect(detached).toBe(`export default               (\n  { a: {} },\n  { tokens: {} } /* a, b */ \n);\n`);
  expect(detached).toHaveLength(text.length);
});

it("leaves other shapes alone", () => {
  const text = "export default { a: {} };\n";
  expect(detachDefineCall(text, "s.ts")).toBe(text);
});
