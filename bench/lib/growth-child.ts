/**
 * One of figure 7's handlers in a process of its own (bench/lib/growth-process.ts starts it), so
 * what it costs is measured as in a server that runs only it: no other handler's code, objects or
 * collections in its process.
 *
 *   node --import tsx bench/lib/growth-child.ts <satchel|hand> <point>
 *
 * `point` is growth-path's (`300`, `sessions=3`, …). Over the IPC channel it sends `{ cookies }`
 * once both a write and a read went through (a handler that loses its session throws before),
 * then answers each `{ write, ms }` with `{ micros }`: process CPU µs per request over about `ms`.
 */
import { growthCaseAt, handRolledGrowth, satchelGrowth } from "./growth-sessions.ts";
import { cpuMicrosPerOp } from "./stats.ts";

export interface MeasureMessage {
  write: boolean;
  ms: number;
}

const [impl = "", point = "300"] = process.argv.slice(2);
const send = (message: object) => {
  if (!process.send) throw new Error("bench: growth-child.ts runs as a child with an IPC channel");
  process.send(message);
};

const c = growthCaseAt(point);
if (impl !== "satchel" && impl !== "hand") throw new Error(`bench: unknown handler ${impl}`);
const handler = impl === "satchel" ? await satchelGrowth(c) : handRolledGrowth(c);
await handler.request(true);
await handler.request(false);
// One measurement at a time: the parent waits for each answer before it sends the next.
process.on("message", (message: MeasureMessage) => {
  cpuMicrosPerOp(() => handler.request(message.write), message.ms).then(
    (micros) => send({ micros }),
    (error: unknown) => send({ error: String(error) }),
  );
});
process.on("disconnect", () => process.exit(0));
send({ cookies: handler.cookies() });
