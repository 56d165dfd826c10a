/** `satchel/stores/tiered`: a cache store in front of a durable one (its parts are in `tiered/`). */
export { createTieredStore, type TieredStoreOptions } from "./tiered/store.ts";
