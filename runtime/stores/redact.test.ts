/** Store errors never show a password, and say whether to retry or to fix the configuration. Real servers. */
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { SatchelConfigError, SessionStoreUnavailableError } from "../errors.ts";
import { createPostgresStore } from "./postgres.ts";
import { endpointOf, redactUrl } from "./redact.ts";
import { createRedisStore } from "./redis.ts";

const PASSWORD = "s3cret-Pw-never-shown";

/** The error, its cause chain and its stack as one text: the password must appear nowhere in it. */
function everything(error: unknown): string {
  let text = "";
  for (let e: unknown = error; e instanceof Error; e = e.cause) text += `${String(e)}\n${e.stack ?? ""}\n`;
  return text;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

describe("redactUrl", () => {
  it("replaces the password and drops the query string", () => {
    expect(redactUrl(`redis://:${PASSWORD}@10.0.0.1:6379/0`)).toBe("redis://:***@10.0.0.1:6379/0");
    expect(redactUrl(`postgres://app:${PASSWORD}@db:5432/shop?sslmode=require&password=${PASSWORD}`)).toBe(
      "postgres://app:***@db:5432/shop",
    );
    expect(redactUrl("memcached://127.0.0.1:11211")).toBe("memcached://127.0.0.1:11211");
  });
});

describe("endpointOf", () => {
  it("keeps host, port (default filled in) and database, never user or password", () => {
    expect(endpointOf(`redis://:${PASSWORD}@10.0.0.1/0`, 6379)).toBe("10.0.0.1:6379/0");
    expect(endpointOf(`postgres://app:${PASSWORD}@db:6432/shop?password=${PASSWORD}`, 5432)).toBe(
      "db:6432/shop",
    );
    expect(endpointOf("not a url", 6379)).toBeUndefined();
  });
});

describe("store errors", () => {
  it("a wrong URL is refused without echoing its password", () => {
    for (const create of [
      () => createRedisStore({ url: `http://user:${PASSWORD}@cache:6379` }),
      () => createPostgresStore({ url: `mysql://user:${PASSWORD}@db/shop` }),
    ]) {
      let thrown: unknown;
      try {
        create();
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(SatchelConfigError);
      expect(everything(thrown)).not.toContain(PASSWORD);
      expect(String(thrown)).toContain(":***@");
    }
  });

  it("Redis on a closed port is an outage (retry) naming host and port, and says nothing of the password", async () => {
    const port = await closedPort();
    const store = createRedisStore({ url: `redis://:${PASSWORD}@127.0.0.1:${port}`, timeoutMs: 500 });
    const error = await store.get("k").catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(SessionStoreUnavailableError);
    expect(String(error)).toContain("retry later");
    expect(String(error)).toContain(`connection refused at 127.0.0.1:${port}`);
    expect(everything(error)).not.toMatch(/MaxRetriesPerRequest/);
    expect(error).toMatchObject({ store: "redis", endpoint: `127.0.0.1:${port}` });
    expect(everything(error)).not.toContain(PASSWORD);
  });

  it("a Postgres database that does not exist is a configuration error, not 'retry later'", async () => {
    const store = createPostgresStore({
      url: `postgres://postgres:${PASSWORD}@127.0.0.1:5432/satchel_no_such_database`,
    });
    const error = await store.get("k").catch((e: unknown) => e);
    await store.close();
    expect(error).toBeInstanceOf(SatchelConfigError);
    expect(String(error)).toContain("the database does not exist");
    expect(String(error)).toContain("at 127.0.0.1:5432/satchel_no_such_database");
    expect(String(error)).toContain("retrying will not help");
    expect(everything(error)).not.toContain(PASSWORD);
  });
});
