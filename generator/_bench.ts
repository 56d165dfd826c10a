import { SchemaAnalyser } from "./analyse.ts";
import { generate } from "./gen.ts";
import { loadSchema } from "./load-schema.ts";

const schema = process.argv[2] ?? "sessions.schema.ts";
const a = new SchemaAnalyser(schema);
let t = performance.now();
await generate({ schemaPath: schema, analyser: a, outPath: "/tmp/gp/out.ts" });
console.log("first", performance.now() - t);
for (let i = 0; i < 3; i++) {
  t = performance.now();
  a.analyse();
  const ta = performance.now() - t;
  t = performance.now();
  await loadSchema(schema);
  const tl = performance.now() - t;
  t = performance.now();
  await generate({ schemaPath: schema, analyser: a, outPath: "/tmp/gp/out.ts" });
  console.log("analyse", ta.toFixed(0), "load", tl.toFixed(0), "gen", (performance.now() - t).toFixed(0));
}
