/**
 * `gen --watch`: regenerate when the schema or a local file it imports is saved. Debounced (editors
 * write in bursts), one warm ts-morph Project for the whole session, and a broken save only prints
 * its error: the next good save recovers. A refused breaking change still writes the module (the
 * editor's types follow the schema) but not the snapshot, and prints the refusal.
 */
import { type FSWatcher, watch } from "node:fs";
import path from "node:path";
import type { BaselineCache } from "../evolution/baseline.ts";
import { snapshotPathFor } from "../evolution/snapshot.ts";
import { SchemaAnalyser } from "../schema/analyse.ts";
import { writeChanged } from "./check.ts";
import { defaultOutPath, type GenOptions, generate } from "./gen.ts";

/** Options of a watch session. */
interface WatchOptions extends GenOptions {
  /** Quiet period after the last change before regenerating, in ms. Default 50. */
  debounceMs?: number;
  /** Where messages go. Default: console. */
  log?: (line: string) => void;
  /** Called after every run (tests use it). */
  onRun?: (outcome: { ok: boolean; ms: number; written: string[] }) => void;
}

/** A running watcher. */
interface Watcher {
  /** Stops watching; resolves when no run is in flight. */
  close(): Promise<void>;
}

/** Generates once, then again after every save. */
export function watchSchema(options: WatchOptions): Watcher {
  const log = options.log ?? ((line: string) => console.log(line));
  const analyser = options.analyser ?? new SchemaAnalyser(options.schemaPath);
  const baselineCache: BaselineCache = options.baselineCache ?? {};
  const debounceMs = options.debounceMs ?? 50;
  // Watch directories, not files: editors replace files on save, which ends a file watch.
  const watchers = new Map<string, FSWatcher>();
  let files = new Set<string>([path.resolve(options.schemaPath)]);
  const outPath = path.resolve(options.outPath ?? defaultOutPath(options.schemaPath));
  const outputs = new Set([outPath, snapshotPathFor(outPath)]);
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  let again = false;
  let busy = false;
  let closed = false;

  const run = async (): Promise<void> => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    const started = performance.now();
    try {
      const result = await generate({ ...options, analyser, baselineCache });
      // Our own output may be imported by the schema (migration types); writing it is not a save.
      files = new Set(result.watched.filter((file) => !outputs.has(file)));
      const ms = Math.round(performance.now() - started);
      if (result.module) {
        // A refused breaking change: the types still follow the schema, only the snapshot waits.
        for (const error of result.errors) log(error);
        const written = writeChanged([result.module]);
        log(
          `satchel: ${written.length > 0 ? `wrote ${written.join(", ")}` : "module up to date"}; the snapshot keeps ` +
            `the shipped shape until the change above is fixed, and \`satchel gen --check\` fails until then (${ms} ms)`,
        );
        options.onRun?.({ ok: false, ms, written });
      } else if (result.errors.length > 0) {
        for (const error of result.errors) log(error);
        log("satchel: waiting for the next save.");
        options.onRun?.({ ok: false, ms, written: [] });
      } else {
        for (const note of result.notes) log(`satchel: ${note}`);
        const written = writeChanged(result.files);
        log(`satchel: ${written.length > 0 ? `wrote ${written.join(", ")}` : "up to date"} (${ms} ms)`);
        options.onRun?.({ ok: true, ms, written });
      }
    } catch (error) {
      log(error instanceof Error ? error.message : String(error));
      options.onRun?.({ ok: false, ms: Math.round(performance.now() - started), written: [] });
    } finally {
      busy = false;
    }
    syncWatchers();
    if (again && !closed) {
      again = false;
      running = run();
    }
  };

  const schedule = (changed: string) => {
    if (closed || !files.has(changed)) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = run();
    }, debounceMs);
  };

  const syncWatchers = () => {
    if (closed) return;
    const directories = new Set([...files].map((file) => path.dirname(file)));
    for (const directory of directories) {
      if (watchers.has(directory)) continue;
      const watcher = watch(directory, (_event, name) => {
        if (name) schedule(path.join(directory, name.toString()));
      });
      watchers.set(directory, watcher);
    }
  };

  syncWatchers();
  running = run();
  return {
    async close() {
      closed = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      await running;
    },
  };
}
