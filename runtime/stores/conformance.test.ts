/** The conformance suite over the in-process stores (no server needed). */

import { describeStoreConformance } from "./conformance.ts";
import { createCountingStore } from "./counting.ts";
import { createMemoryStore } from "./memory.ts";

const report = (line: string) => console.info(`[measure] ${line}`);
describeStoreConformance("memory", () => createMemoryStore(), { userIndex: true, report });
describeStoreConformance("counting(memory)", () => createCountingStore(createMemoryStore()), { report });
