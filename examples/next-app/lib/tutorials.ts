/** The seeds' examples the demo runs, in the order the seeds tell them; linked from every page. */
export interface Tutorial {
  path: string;
  seed: "Tipfy" | "TurboGears" | "Pylons" | "Beaker";
  what: string;
}

export const TUTORIALS: readonly Tutorial[] = [
  { path: "/session-foo", seed: "Tipfy", what: "a value in the session" },
  { path: "/session-test?add-product=foo", seed: "Tipfy", what: "a cart of product names" },
  { path: "/sessions/quick-start", seed: "Tipfy", what: "quick start" },
  { path: "/sessions/multiple", seed: "Tipfy", what: "a second session in a store" },
  { path: "/sessions/flash", seed: "Tipfy", what: "flash messages" },
  { path: "/sessions/cookies", seed: "Tipfy", what: "plain cookies" },
  { path: "/session-key-test", seed: "Tipfy", what: "a key in the session" },
  { path: "/memcache-session-test", seed: "Tipfy", what: "the memcache session" },
  { path: "/flash-test", seed: "Tipfy", what: "a flash for the next request" },
  { path: "/messages-test", seed: "Tipfy", what: "leveled messages" },
  { path: "/cookie-test", seed: "Tipfy", what: "a plain cookie" },
  { path: "/secure-cookie-test", seed: "Tipfy", what: "a secure cookie" },
  { path: "/mixins-test", seed: "Tipfy", what: "mixins" },
  { path: "/tg-session", seed: "TurboGears", what: "save() by hand" },
  { path: "/tg-session/delete", seed: "TurboGears", what: "delete()" },
  { path: "/pylons/protected", seed: "Pylons", what: "a page that needs a login" },
  { path: "/no-cookie-session", seed: "Beaker", what: "no cookies: x-session-id (use curl)" },
];
