/**
 * `createInspector(satchel)`: the session inspector as a pair of route handlers. Mount it with one
 * route file, `app/%5Fsatchel/route.ts` (a folder named `_satchel` would be private to Next's
 * router; `%5F` is the encoded underscore):
 *
 *     import { createInspector } from "satchel/next";
 *     import { satchel } from "@/sessions";
 *     export const { GET, POST } = createInspector(satchel);
 *
 * and keep its path out of `proxy.ts`'s matcher, or the proxy hands the flash off (consumes it)
 * before the inspector can show it.
 *
 * On in development, answering 404 in production unless `authorize` lets the request in. Buttons
 * (clear flash, reset, destroy) only in development, behind an Origin check and a CSRF token;
 * Destroy asks to confirm first (a second form, so it works without JavaScript).
 */

import type { ResolvedSession, SessionsConfig, StoreOption } from "../../define.ts";
import { fetchCsrfToken, verifyFetchCsrf } from "../../fetch/csrf.ts";
import type { Satchel } from "../../satchel.ts";
import { CsrfError } from "../../session/csrf.ts";
import { hostRuntimeOf } from "../../session/host-runtime.ts";
import { recentInvalidReports } from "../../session/invalid-log.ts";
import { createStoreResolver } from "../../session/store-resolver.ts";
import type { SessionStore } from "../../stores/types.ts";
import { inspectSessions } from "./decode.ts";
import { renderInspectorPage } from "./page.ts";

/** Options of `createInspector`. */
export interface InspectorOptions {
  /**
   * Your own authorization check. Without it the inspector is on in development only; with it, it
   * answers whenever this returns (or resolves to) exactly `true` (also in production, read-only
   * there), else 404. Any other value — `"yes"`, `1`, a user object — is a refusal, and the first
   * one is named on the console (return a boolean). A check that throws or rejects is a refusal
   * too: 404, never a 500, and the error goes to `onAuthorizeError`.
   * @default undefined (development only)
   */
  authorize?: (request: Request) => boolean | Promise<boolean>;
  /**
   * Hears every error `authorize` throws or rejects with, and the request it refused (answered 404).
   * Send it to your error tracker; a reporter that throws is ignored.
   * @default logs `satchel: the inspector's authorize threw …` and the error with `console.error`
   */
  onAuthorizeError?: (error: unknown, request: Request) => void;
  /**
   * Development mode (buttons on; on without `authorize`). Default: `NODE_ENV === "development"`.
   */
  development?: boolean;
  /**
   * Where store sessions are read. Default: resolved as the runtime does (the schema file's
   * `store`, else `SESSION_STORE_URL`, else `.data/sessions`). Pass the store object when it lives
   * only in this process under another instance (e.g. a `memory:` store).
   */
  store?: StoreOption;
}

/** The route handlers of the inspector. */
export interface Inspector {
  GET(request: Request): Promise<Response>;
  POST(request: Request): Promise<Response>;
}

const ACTIONS = ["clear-flash", "reset", "destroy"] as const;
type Action = (typeof ACTIONS)[number];

const NOT_FOUND = () => new Response("Not Found", { status: 404, headers: { "content-type": "text/plain" } });

/** What an action does to a loaded handle (typed loosely: any session of the schema). */
interface AnyHandle {
  flash: Record<string, { read(): unknown[] }>;
  messages?: { read(): unknown[] };
  reset(): void;
  destroy(): Promise<void>;
}

/**
 * Whether a request may see the inspector. Only `true` from `authorize` admits: a page that shows
 * every session of the browser must not open on a truthy mistake. A throwing `authorize` refuses
 * (404, as for anyone refused, so the inspector's presence is not revealed) and is reported.
 */
function authorization(
  options: InspectorOptions,
  development: boolean,
): (request: Request) => Promise<boolean> {
  const { authorize } = options;
  if (authorize === undefined) return async () => development;
  const report = options.onAuthorizeError ?? logAuthorizeError;
  let warned = false;
  return async (request) => {
    let answer: unknown;
    try {
      answer = await authorize(request);
    } catch (error) {
      try {
        report(error, request);
      } catch {
        // A failing reporter must not turn a refusal into a 500.
      }
      return false;
    }
    if (answer === true) return true;
    if (answer !== false && !warned) {
      warned = true;
      console.warn(
        `satchel: the inspector's authorize returned ${describeAnswer(answer)}, not true, so the request was ` +
          "answered 404; only true lets a request in. Return a boolean.",
      );
    }
    return false;
  };
}

function logAuthorizeError(error: unknown, request: Request): void {
  console.error(
    `satchel: the inspector's authorize threw, so ${request.method} ${new URL(request.url).pathname} was answered 404. ` +
      "Make authorize return false instead of throwing, or pass onAuthorizeError to report it elsewhere.",
    error,
  );
}

/** A returned value for the warning: its type and a short rendering, never a whole object. */
function describeAnswer(answer: unknown): string {
  if (typeof answer === "string") return `the string ${JSON.stringify(answer.slice(0, 40))}`;
  if (answer === null || answer === undefined) return String(answer);
  if (typeof answer === "object") return Array.isArray(answer) ? "an array" : "an object";
  return `the ${typeof answer} ${String(answer)}`;
}

/** The session a `?confirm=destroy&session=<name>` view asks about, when the schema has it. */
function destroyToConfirm(query: URLSearchParams, config: SessionsConfig): string | null {
  const name = query.get("session");
  if (query.get("confirm") !== "destroy" || name === null) return null;
  return Object.hasOwn(config.sessions, name) ? name : null;
}

/** Creates the inspector's `GET` and `POST` route handlers for a satchel runtime. */
export function createInspector<Types>(satchel: Satchel<Types>, options: InspectorOptions = {}): Inspector {
  const config = satchel.config;
  const runtime = hostRuntimeOf(satchel);
  const development = options.development ?? globalThis.process?.env?.NODE_ENV === "development";
  // Resolved as the runtime resolves its stores, but apart from them: `options.store` may differ.
  const stores = createStoreResolver();

  const storeFor = (def: ResolvedSession): Promise<SessionStore> => {
    // A session's own store (when the schema gives it one), else the app's.
    const option: StoreOption =
      def.definition.store ??
      options.store ??
      config.options?.store ??
      globalThis.process?.env?.SESSION_STORE_URL ??
      "file:.data/sessions";
    return stores.resolve(option, `the inspector's view of session "${def.name}"`);
  };

  const allowed = authorization(options, development);

  return {
    async GET(request) {
      if (!(await allowed(request))) return NOT_FOUND();
      const sessions = satchel.fromRequest(request);
      const csrf = development ? await fetchCsrfToken(satchel, request, sessions) : null;
      const now = Date.now();
      const inspected = await inspectSessions(config, request, {
        now,
        sealer: () => runtime.sealer(),
        codec: (def) => runtime.codec(def),
        store: storeFor,
      });
      const url = new URL(request.url);
      const html = renderInspectorPage(inspected, {
        path: url.pathname,
        csrf,
        now,
        reports: recentInvalidReports(),
        confirmDestroy: csrf === null ? null : destroyToConfirm(url.searchParams, config),
      });
      await sessions.commit();
      return sessions.apply(
        new Response(html, {
          headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
        }),
      );
    },

    async POST(request) {
      if (!development || !(await allowed(request))) return NOT_FOUND();
      const sessions = satchel.fromRequest(request);
      try {
        await verifyFetchCsrf(satchel, request, sessions);
      } catch (error) {
        if (error instanceof CsrfError) return new Response(error.message, { status: 403 });
        throw error;
      }
      const form = await request.formData();
      const action = form.get("action");
      const name = form.get("session");
      if (
        typeof action !== "string" ||
        !ACTIONS.includes(action as Action) ||
        typeof name !== "string" ||
        !Object.hasOwn(config.sessions, name)
      ) {
        return new Response("satchel: the inspector needs a known session and action.", { status: 400 });
      }
      const path = new URL(request.url).pathname;
      if (action === "destroy" && form.get("confirm") !== "1") {
        // The first press only asks: the page shows the question on that session's card.
        const query = new URLSearchParams({ confirm: "destroy", session: name });
        return new Response(null, {
          status: 303,
          headers: { location: `${path}?${query}#session-${encodeURIComponent(name)}` },
        });
      }
      const handle = (await sessions.get(name as keyof Types & string)) as unknown as AnyHandle;
      if (action === "clear-flash") {
        for (const channel of Object.values(handle.flash)) channel.read();
        handle.messages?.read();
      } else if (action === "reset") {
        handle.reset();
      } else {
        await handle.destroy();
      }
      await sessions.commit();
      return sessions.apply(new Response(null, { status: 303, headers: { location: path } }));
    },
  };
}
