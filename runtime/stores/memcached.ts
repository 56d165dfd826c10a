/** `satchel/stores/memcached`: the memcached store (its parts are in `memcached/`). */
export { createMemcachedStore, type MemcachedStore, type MemcachedStoreOptions } from "./memcached/store.ts";
