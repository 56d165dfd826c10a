/** `satchel/stores/file`: the embedded default store (its parts are in `file/`). */
export { createFileStore, type FileStore, type FileStoreOptions } from "./file/store.ts";
