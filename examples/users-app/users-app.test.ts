/**
 * The first hour of a new user, end to end, from the packed packages. It does what the README says:
 * pack the tarballs (`npm pack --workspaces`), create a fresh app with create-next-app (pinned, its
 * default config: Cache Components and partial prefetching on), install the tarballs with no store
 * driver, `satchel init`, `satchel secret`, `satchel gen`, paste the README's quick-start files as they
 * are, type-check them, `npm run build` (its prebuild regenerates a deleted generated/), `next start`
 * refusing a missing or made-up secret at start (instrumentation.ts), and sign in and fill a cart in
 * Chromium. Then a
 * webpack build of the same app, and the same browser run again on Redis with ioredis installed.
 * Last, the switch from iron-session: a visitor signed in by the real iron-session installed in the
 * app stays signed in once the schema of README's "Coming from iron-session" is pasted.
 *
 * Only the npm registry and loopback are used; the app's layout is replaced because create-next-app's
 * loads fonts from Google. Installs go through the npm cache (`--prefer-offline`), so only the first
 * run on a machine downloads. SATCHEL_KEEP_USERS_APP=1 keeps the app's directory for a look after.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../test-support/chromium.ts";
import { inspectorBlocks, ironSessionBlocks, quickStartBlocks } from "./readme-quick-start.ts";
import {
  CREATE_NEXT_APP,
  packTarballs,
  readPackageJson,
  run,
  startNext,
  stopAllServers,
  type Tarball,
  userEnv,
} from "./users-app.ts";

/** Generous: installs and Next builds on a busy 2-core machine. Not a performance limit. */
const SLOW_STEP_MS = 900_000;
const BROWSER_STEP_MS = 240_000;
const STEP_TIMEOUT_MS = 60_000;
const POLL = { timeout: STEP_TIMEOUT_MS, interval: 200 };
/** Redis keys of this run only, so the check below sees its own records and cleans them up. */
const REDIS_PREFIX = `satchel-users-app-${process.pid}-${Date.now()}:`;
const REDIS_URL = `redis://127.0.0.1:6379?prefix=${REDIS_PREFIX}`;

/** create-next-app's layout loads Geist from Google Fonts; the same layout without the download. */
const LAYOUT = `import type { Metadata } from "next";
import "./globals.css";

export const metadata: Metadata = { title: "satchel user's app" };

// Typed without the LayoutProps that next build generates, so tsc passes before the first build.
export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en" className="h-full antialiased">
      <body className="min-h-full flex flex-col">{children}</body>
    </html>
  );
}
`;

/** iron-session's password in the app before the switch (it reads it from IRON_PASSWORD). */
const IRON_PASSWORD = "the-password-iron-session-sealed-with";

/** The app's sign-in before the switch: iron-session's own route handler, as its README shows. */
const IRON_LOGIN_ROUTE = `import { getIronSession } from "iron-session";
import { cookies } from "next/headers";

interface OldSession {
  user?: { id: string; name: string };
}

export async function POST(request: Request) {
  const name = new URL(request.url).searchParams.get("name") ?? "grace";
  const session = await getIronSession<OldSession>(await cookies(), {
    cookieName: "myapp_session",
    password: process.env.IRON_PASSWORD ?? "",
  });
  session.user = { id: name, name };
  await session.save();
  return Response.json({ signedIn: name });
}
`;

const root = mkdtempSync(path.join(tmpdir(), "satchel-users-app-"));
const app = path.join(root, "my-app");
const npx = (args: string[], env = userEnv()) => run("npx", ["--no-install", ...args], app, env);
const npm = (args: string[]) => run("npm", [...args, "--prefer-offline"], app);
let tarballs: Tarball[] = [];
let browser: Browser | undefined;
/** The browser of a visitor iron-session signed in, kept from before the switch to after it. */
let ironVisitor: BrowserContext | undefined;

beforeAll(async () => {
  tarballs = await packTarballs(path.join(root, "tarballs"));
  await run(
    "npx",
    ["--yes", CREATE_NEXT_APP, "my-app", "--yes", "--skip-install", "--disable-git", "--use-npm"],
    root,
  );
  writeFileSync(path.join(app, "app", "layout.tsx"), LAYOUT);
  await npm(["install"]);
  browser = await launchChromium();
}, SLOW_STEP_MS);

afterAll(async () => {
  await stopAllServers();
  await ironVisitor?.close();
  await browser?.close();
  const redis = new Redis("redis://127.0.0.1:6379", { lazyConnect: true, maxRetriesPerRequest: 1 });
  const keys = await redis.keys(`${REDIS_PREFIX}*`).catch(() => []);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  if (process.env.SATCHEL_KEEP_USERS_APP !== "1") rmSync(root, { recursive: true, force: true });
});

/** Files of the quick start that `satchel init` writes: the README shows them, nobody pastes them. */
const WRITTEN_BY_INIT = ["sessions.schema.ts", "instrumentation.ts"];

/** Writes the README quick-start blocks the way a user pastes them; returns the blocks left over. */
function pasteQuickStart(): { file: string; code: string }[] {
  const pasted = new Set<string>();
  const extra: { file: string; code: string }[] = [];
  for (const [index, block] of quickStartBlocks().entries()) {
    if (block.path !== null && WRITTEN_BY_INIT.includes(block.path) && !pasted.has(block.path)) {
      // init wrote these; the README must show exactly what it wrote.
      expect(readFileSync(path.join(app, block.path), "utf8")).toContain(block.code);
      pasted.add(block.path);
    } else if (block.path !== null && !pasted.has(block.path)) {
      mkdirSync(path.dirname(path.join(app, block.path)), { recursive: true });
      writeFileSync(path.join(app, block.path), block.code);
      pasted.add(block.path);
    } else {
      // A variant of a file already pasted (schema options, …): type-checked on its own.
      extra.push({ file: `readme-blocks/block-${index}.${block.language}`, code: block.code });
    }
  }
  expect([...pasted].sort()).toEqual([
    "app/actions.ts",
    "app/cart/route.ts",
    "app/login/page.tsx",
    "app/page.tsx",
    "instrumentation.ts",
    "proxy.ts",
    "sessions.schema.ts",
  ]);
  return extra;
}

/** Writes the README's inspector route where its first line says, as a user pastes it. */
function pasteInspector(): void {
  const blocks = inspectorBlocks().filter((block) => block.path !== null);
  expect(blocks.map((block) => block.path)).toEqual(["app/%5Fsatchel/route.ts"]);
  for (const block of blocks) {
    const file = path.join(app, block.path ?? "");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, block.code);
  }
}

const runtimePackage = () => tarballs.find((tarball) => tarball.name === "satchel");

describe("a new user's app, from the packed packages", () => {
  it("installs the tarballs with no store driver: satchel and zod, the generator as a devDependency", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    const runtime = runtimePackage();
    expect(runtime, `npm pack --workspaces made ${tarballs.map((t) => t.name).join(", ")}`).toBeDefined();
    const tools = tarballs.filter((tarball) => tarball !== runtime);
    await npm(["install", runtime?.file ?? "", "zod"]);
    if (tools.length > 0) await npm(["install", "--save-dev", ...tools.map((tarball) => tarball.file)]);
    for (const driver of ["ioredis", "pg", "memjs"]) {
      expect(existsSync(path.join(app, "node_modules", driver)), `${driver} got installed`).toBe(false);
    }
  });

  it("`satchel init`, `satchel secret`, then the README's quick start pasted as is, `satchel gen`", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    expect(await npx(["satchel", "init"])).toContain("Next steps");

    const secret = (await npx(["satchel", "secret"])).trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    writeFileSync(path.join(app, ".env.local"), `SESSION_SECRET=${secret}\n`);

    const extra = pasteQuickStart();
    pasteInspector();
    await npx(["satchel", "gen"]);
    await npx(["satchel", "gen", "--check"]);

    // Every TypeScript block of the quick start compiles under the app's strict tsconfig.
    for (const block of extra) {
      mkdirSync(path.dirname(path.join(app, block.file)), { recursive: true });
      writeFileSync(path.join(app, block.file), block.code);
    }
    try {
      expect(await npx(["tsc", "--noEmit", "-p", "tsconfig.json"])).toBe("");
    } finally {
      rmSync(path.join(app, "readme-blocks"), { recursive: true, force: true });
    }
  });

  it("init kept .data/ out of git and added the gen, predev and prebuild scripts", () => {
    expect(readFileSync(path.join(app, ".gitignore"), "utf8")).toMatch(/^\/?\.data\/?$/m);
    expect(readPackageJson(app).scripts).toMatchObject({
      gen: "satchel gen",
      predev: "satchel gen",
      prebuild: "satchel gen",
      build: "next build",
    });
  });

  it("`next dev`: signing in and reading the session under <Suspense> raises no Cache Components issue", {
    timeout: BROWSER_STEP_MS,
  }, async () => {
    const dev = await startNext(app, userEnv(), "dev");
    if (browser === undefined) throw new Error("Chromium did not start");
    const context = await browser.newContext({ baseURL: dev.url });
    context.setDefaultTimeout(BROWSER_STEP_MS);
    try {
      const page = await context.newPage();
      await page.goto("/login");
      await page.getByLabel("Username").fill("alice");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("Hello, alice").waitFor();
      await page.reload();
      await page.getByText("Hello, alice").waitFor();
      // Next prints a prerender issue before it logs the request it happened in.
      await expect.poll(() => /GET \/ 200/.test(dev.output()), POLL).toBe(true);
      expect(dev.output()).not.toMatch(/unstable value|Blocking Route|outside of `<Suspense>`/);
      // The dev overlay's issue badge ("1 Issue") is absent: its visible texts, without its CSS.
      const overlay = await page.evaluate(() =>
        [...(document.querySelector("nextjs-portal")?.shadowRoot?.querySelectorAll("*") ?? [])]
          .filter((element) => element.tagName !== "STYLE" && element.children.length === 0)
          .map((element) => element.textContent)
          .join(" "),
      );
      expect(overlay).not.toMatch(/\d+\s*Issues?\b/);

      // The README's inspector route, as pasted: it shows this browser's auth session decoded.
      const inspector = await context.request.get("/_satchel");
      expect(inspector.status()).toBe(200);
      expect(await inspector.text()).toContain("alice");
    } finally {
      await context.close();
      await dev.stop();
    }
  });

  it("`npm run build` (Turbopack, Cache Components on, no store driver) regenerates a deleted generated/ first", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    const config = readFileSync(path.join(app, "next.config.ts"), "utf8");
    expect(config).toContain("cacheComponents: true");
    expect(config).toContain("partialPrefetching: true");
    // A forgotten `gen` at its worst: without prebuild this fails on "Module not found".
    const generated = readFileSync(path.join(app, "generated", "sessions.ts"), "utf8");
    rmSync(path.join(app, "generated"), { recursive: true });
    expect(await run("npm", ["run", "build"], app)).toMatch(/satchel: wrote generated\/sessions\.ts/);
    expect(readFileSync(path.join(app, "generated", "sessions.ts"), "utf8")).toBe(generated);
  });

  it("`next start` without SESSION_SECRET, or with a made-up one, stops at start naming it (instrumentation.ts)", {
    timeout: BROWSER_STEP_MS,
  }, async () => {
    // startNext rejects when the server exits before it answers a request.
    await expect(startNext(app, userEnv({ SESSION_SECRET: "secret".repeat(6) }))).rejects.toThrow(
      /satchel: SESSION_SECRET entry #1 is too predictable/,
    );
    const envFile = path.join(app, ".env.local");
    const saved = readFileSync(envFile, "utf8");
    rmSync(envFile);
    const withoutSecret = userEnv();
    delete withoutSecret.SESSION_SECRET;
    try {
      await expect(startNext(app, withoutSecret)).rejects.toThrow(
        /satchel: no session secret\. Set SESSION_SECRET to a random string/,
      );
    } finally {
      writeFileSync(envFile, saved);
    }
  });

  it("in Chromium on the file store: sign-in error flash, sign in, notice shown once, a cart", {
    timeout: BROWSER_STEP_MS,
  }, async () => {
    const server = await startNext(app, userEnv());
    try {
      await signInAndShop(server.url);
    } finally {
      await server.stop();
    }
    expect(readdirSync(path.join(app, ".data", "sessions")).length).toBeGreaterThan(0);
  });

  it("`next build --webpack` of the same app, still without a store driver", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    await npx(["next", "build", "--webpack"]);
  });

  it("on Redis: SESSION_STORE_URL=redis://… with ioredis installed, the same browser run", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    await npm(["install", "ioredis@6.0.0"]);
    rmSync(path.join(app, ".data"), { recursive: true, force: true });
    const server = await startNext(app, userEnv({ SESSION_STORE_URL: REDIS_URL }));
    try {
      await signInAndShop(server.url);
    } finally {
      await server.stop();
    }
    const redis = new Redis("redis://127.0.0.1:6379");
    try {
      expect((await redis.keys(`${REDIS_PREFIX}s:*`)).length).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
    expect(existsSync(path.join(app, ".data", "sessions"))).toBe(false);
  });
});

describe("switching from iron-session: the visitor stays signed in", () => {
  it("before the switch: the app signs a visitor in with the real iron-session (`next dev`)", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    await npm(["install", "iron-session@9.0.1"]);
    writeFileSync(
      path.join(app, ".env.local"),
      `${readFileSync(path.join(app, ".env.local"), "utf8")}IRON_PASSWORD=${IRON_PASSWORD}\n`,
    );
    mkdirSync(path.join(app, "app", "old-login"), { recursive: true });
    writeFileSync(path.join(app, "app", "old-login", "route.ts"), IRON_LOGIN_ROUTE);
    const dev = await startNext(app, userEnv(), "dev");
    if (browser === undefined) throw new Error("Chromium did not start");
    try {
      ironVisitor = await browser.newContext({ baseURL: dev.url });
      ironVisitor.setDefaultTimeout(BROWSER_STEP_MS);
      const signIn = await ironVisitor.request.post("/old-login?name=grace");
      expect(await signIn.json()).toEqual({ signedIn: "grace" });
      const cookies = await ironVisitor.cookies();
      expect(cookies.find((cookie) => cookie.name === "myapp_session")?.value).toMatch(/^Fe26\.2\*/);
      // satchel does not know this cookie yet.
      const page = await ironVisitor.newPage();
      await page.goto("/");
      await page.getByText("Not signed in", { exact: true }).waitFor();
      await page.close();
    } finally {
      await dev.stop();
    }
  });

  it("after pasting README's importFrom schema and uninstalling iron-session: still signed in, old cookie expired", {
    timeout: SLOW_STEP_MS,
  }, async () => {
    if (ironVisitor === undefined) throw new Error("the iron-session visitor did not sign in");
    rmSync(path.join(app, "app", "old-login"), { recursive: true, force: true });
    await run("npm", ["uninstall", "iron-session"], app);
    const [schema] = ironSessionBlocks();
    expect(schema?.path).toBe("sessions.schema.ts");
    writeFileSync(path.join(app, "sessions.schema.ts"), schema?.code ?? "");
    // As the README says: satchel gen runs the schema file without the password (it is only in
    // .env.local, which Next reads and the generator does not); the importer checks it at start.
    await npx(["satchel", "gen"], userEnv());
    // next dev's route types still name the removed route; tsconfig includes them, so they go too.
    rmSync(path.join(app, ".next", "dev"), { recursive: true, force: true });
    expect(await npx(["tsc", "--noEmit", "-p", "tsconfig.json"])).toBe("");
    await npx(["next", "build"]);
    const server = await startNext(app, userEnv());
    try {
      const page = await ironVisitor.newPage();
      // A page view: sessionProxy imports the old cookie, and the page renders the satchel session.
      await page.goto(`${server.url}/`);
      await page.getByText("Hello, grace", { exact: true }).waitFor();
      const names = (await ironVisitor.cookies()).map((cookie) => cookie.name);
      // `next start` runs in production, where host-only session cookies carry the __Host- prefix.
      expect(names).toContain("__Host-auth");
      expect(names).not.toContain("myapp_session");
      await page.reload();
      await page.getByText("Hello, grace", { exact: true }).waitFor();
    } finally {
      await server.stop();
    }
  });
});

/** The quick start as a user clicks through it. */
async function signInAndShop(baseURL: string): Promise<void> {
  if (browser === undefined) throw new Error("Chromium did not start");
  const context = await browser.newContext({ baseURL });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  try {
    const page = await context.newPage();
    // By text: Next's route announcer is an empty role="alert" of its own, and a redirect after a
    // server action may reload the document, so every check waits or counts rather than reads once.
    const count = (text: string) => page.getByText(text, { exact: true }).count();

    // An empty username: the action flashes an error and redirects back; shown once.
    await page.goto("/login");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("Who are you?", { exact: true }).waitFor();
    await expect.poll(() => count("Who are you?"), POLL).toBe(1);
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await count("Who are you?")).toBe(0);

    // Sign in: redirected home, the notice shows once, the name stays after a reload.
    await page.getByLabel("Username").fill("alice");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(`${baseURL}/`);
    await page.getByText("Hello, alice", { exact: true }).waitFor();
    await expect.poll(() => count("Signed in as alice"), POLL).toBe(1);
    await page.reload();
    await page.getByText("Hello, alice", { exact: true }).waitFor();
    expect(await count("Signed in as alice")).toBe(0);

    // The store session: two POSTs with the browser's cookies, then the cart page.
    expect(await (await context.request.post("/cart?sku=tea")).json()).toEqual([{ sku: "tea", qty: 1 }]);
    expect(await (await context.request.post("/cart?sku=milk")).json()).toEqual([
      { sku: "tea", qty: 1 },
      { sku: "milk", qty: 1 },
    ]);
    await page.goto("/cart");
    expect(JSON.parse((await page.locator("body").textContent()) ?? "")).toEqual([
      { sku: "tea", qty: 1 },
      { sku: "milk", qty: 1 },
    ]);
  } finally {
    await context.close();
  }
}
