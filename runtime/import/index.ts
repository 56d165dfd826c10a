/**
 * `satchel/import`: bring an app's users over from the session library it used before, signed in.
 * A session definition names where its users come from (`importFrom`); see each importer.
 */

export type {
  CookieReader,
  ImportCleanup,
  ImportInput,
  ImportOutcome,
  ImportSource,
  OldCookie,
  SessionImporter,
} from "../types.ts";
export {
  type ExpressSessionImporter,
  type ExpressSessionImportOptions,
  expressSession,
} from "./express-session.ts";
export type { RecordClient } from "./express-store.ts";
export { type IronSessionImportOptions, ironSession } from "./iron-session.ts";
export type { OldCookieOptions } from "./options.ts";
