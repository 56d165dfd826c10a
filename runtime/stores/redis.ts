/** `satchel/stores/redis`: the Redis store (its parts are in `redis/`). */
export { createRedisStore, type RedisStore, type RedisStoreOptions } from "./redis/store.ts";
