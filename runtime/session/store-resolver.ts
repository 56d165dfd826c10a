/**
 * Turns store options (a store object, a URL, or a factory) into stores, lazily and once each: the
 * runtime-wide store and every session's own `store`. Two sessions naming the same URL, object or
 * factory share one store (one connection pool).
 * @internal not part of the public API; import from "satchel" instead.
 */
import type { StoreOption } from "../define.ts";
import { SatchelConfigError } from "../errors.ts";
import type { SessionStore } from "../stores/types.ts";

/** A store option or a factory's result, checked so a wrong value fails with a clear message. */
function checkStore(store: unknown, what: string): SessionStore {
  if (typeof store !== "object" || store === null || typeof (store as SessionStore).get !== "function") {
    throw new SatchelConfigError(
      `satchel: ${what}; give a store object (e.g. createRedisStore({ url })), a URL, or a function returning a store.`,
    );
  }
  return store as SessionStore;
}

function open(option: StoreOption, where: string): Promise<SessionStore> {
  if (typeof option === "string" || option instanceof URL) {
    const url = typeof option === "string" ? option : option.href;
    // Dynamic, so a cookie-only app (or one using the file store) never loads ioredis or pg.
    return import("../stores/url.ts").then(({ resolveStore }) => resolveStore(url));
  }
  if (typeof option === "function") {
    // A factory, called here (first use), so loading the schema file opens nothing.
    return Promise.resolve()
      .then(option)
      .then((store) => checkStore(store, `the store factory did not return a store (${where})`));
  }
  return Promise.resolve().then(() => checkStore(option, `the store of ${where} is not a store`));
}

interface StoreResolver {
  /** The store for `option`, opened on first call; a failed open is retried by the next call. */
  resolve(option: StoreOption, where: string): Promise<SessionStore>;
  /** `resolve`, or the store itself once it has opened: a request's read then awaits nothing for it. */
  current(option: StoreOption, where: string): SessionStore | Promise<SessionStore>;
  /** Closes every store opened so far. */
  closeAll(): Promise<void>;
}

export function createStoreResolver(): StoreResolver {
  const opened = new Map<string | object, Promise<SessionStore>>();
  /** The stores of `opened` that have opened, by the same identity; cleared with it. */
  const ready = new Map<string | object, SessionStore>();
  const identity = (option: StoreOption): string | object => (option instanceof URL ? option.href : option);
  const resolve = (option: StoreOption, where: string): Promise<SessionStore> => {
    const id = identity(option);
    let store = opened.get(id);
    if (store === undefined) {
      const opening = open(option, where);
      store = opening;
      opened.set(id, opening);
      opening.then(
        (resolved) => {
          if (opened.get(id) === opening) ready.set(id, resolved);
        },
        () => {
          if (opened.get(id) === opening) opened.delete(id); // a later request may retry a failed connection
        },
      );
    }
    return store;
  };
  return {
    resolve,
    current(option, where) {
      return ready.get(identity(option)) ?? resolve(option, where);
    },
    async closeAll() {
      const stores = [...opened.values()];
      opened.clear();
      ready.clear();
      const resolved = await Promise.all(stores.map((store) => store.catch(() => undefined)));
      // A store shared under two identities (the same object given twice) is closed once.
      for (const store of new Set(resolved)) await store?.close?.();
    },
  };
}
