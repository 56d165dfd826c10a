/** One line that says where the numbers came from. */
import { cpus, totalmem } from "node:os";

/** e.g. `2 × AMD EPYC, 23.5 GiB RAM, linux 6.8 x64`. */
export function describeMachine(): string {
  const cores = cpus();
  const model = (cores[0]?.model ?? "unknown CPU").trim().replace(/\s+/g, " ");
  const gib = (totalmem() / 1024 ** 3).toFixed(1);
  return `${cores.length} × ${model}, ${gib} GiB RAM, ${process.platform} ${process.arch}`;
}
