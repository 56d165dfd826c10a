import { describe, expect, it } from "vitest";
import { SatchelConfigError } from "../errors.ts";
import { loadDriver } from "./driver.ts";

describe("loadDriver", () => {
  it("turns a driver that is not installed into a config error that says what to install", async () => {
    const name = "satchel-test-driver-that-is-not-installed";
    const loading = loadDriver(name, "redis", () => import(/* @vite-ignore */ name));
    await expect(loading).rejects.toBeInstanceOf(SatchelConfigError);
    await expect(loading).rejects.toThrow(
      `satchel: the redis store needs the ${name} package, which is not installed; run npm install ${name}.`,
    );
  });

  it("gives a CommonJS driver's whole API, named exports or not", async () => {
    const pg = await loadDriver("pg", "postgres", () => import("pg"));
    expect(typeof pg.Pool).toBe("function");
    const memjs = await loadDriver("memjs", "memcached", () => import("memjs"));
    expect(typeof memjs.Client.create).toBe("function");
    const ioredis = await loadDriver("ioredis", "redis", () => import("ioredis"));
    expect(typeof ioredis.Redis).toBe("function");
    expect(typeof ioredis.Cluster).toBe("function");
  });

  it("passes other failures through unchanged", async () => {
    const broken = new TypeError("the driver threw while loading");
    await expect(loadDriver("pg", "postgres", () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
