/** `satchel/stores/postgres`: the PostgreSQL store (its parts are in `postgres/`). */
export { createPostgresStore, type PostgresStore, type PostgresStoreOptions } from "./postgres/store.ts";
