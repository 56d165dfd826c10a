import { describe, expect, it } from "vitest";
import { COOKIE_BYTE_LIMIT } from "../cookies/chunking.ts";
import { createSealer } from "../crypto/seal.ts";
import { SatchelError } from "../errors.ts";
import { withoutNodeZlib } from "../test-support/no-zlib.ts";
import {
  COMPRESS_FROM_BYTES,
  compressor,
  deflateWithStream,
  inflateWithStream,
  packForCookie,
  packForCookieSync,
  perCallZlib,
  reusedZlib,
  unpackFromCookie,
  type ZlibDriver,
  zlibDriverKind,
} from "./compress.ts";

describe("packing for cookies", () => {
  const repetitive = JSON.stringify({
    items: Array.from({ length: 40 }, (_, i) => ({ sku: "SKU-0000", qty: i })),
  });
  /** Compression tried at any size (the default only tries it from COMPRESS_FROM_BYTES). */
  const DEFLATE = { minCompressBytes: 0 };
  /** Text deflate barely shrinks: hex digits. */
  const hexText = (length: number) =>
    Array.from({ length }, (_, i) => ((i * 2654435761) >>> 7).toString(16).slice(-1)).join("");

  it("uses node:zlib in Node, through reused streams", () => {
    expect(compressor).toBe("node:zlib");
    expect(zlibDriverKind()).toBe("reused-handle");
  });

  it("deflates only when that makes it smaller", async () => {
    const packed = await packForCookie(repetitive, DEFLATE);
    expect(packed[0]).toBe(1);
    expect(packed.length).toBeLessThan(repetitive.length / 2);
    expect(await unpackFromCookie(packed)).toBe(repetitive);

    // Text deflate would only make larger stays raw, even when compression is tried.
    for (const text of ["", "x", "xyzzy", "q8Z!kP", "a1b2c3d4e5f6g7h8"]) {
      const raw = await packForCookie(text, { minCompressBytes: 0 });
      expect(raw[0], text).toBe(0);
      expect(raw.length).toBe(text.length + 1);
      expect(await unpackFromCookie(raw)).toBe(text);
    }
  });

  it("packs into reused memory the same bytes as into an array of its own", () => {
    const scratch = new Uint8Array(64).fill(0xee);
    for (const text of ["", "x", "naïve café", hexText(40), repetitive]) {
      const own = packForCookieSync(text, DEFLATE);
      const reused = packForCookieSync(text, { ...DEFLATE, scratch });
      expect(reused, text).toEqual(own);
      // Raw ASCII that fits lands in the scratch memory; anything else gets its own bytes.
      const inScratch = reused?.buffer === scratch.buffer;
      const ascii = [...text].every((c) => c.charCodeAt(0) < 128);
      expect(inScratch, text).toBe(own?.[0] === 0 && text.length < 64 && ascii);
    }
  });

  it("compresses as well as zlib's defaults", async () => {
    const { deflateRawSync } = await import("node:zlib");
    for (const length of [512, 700, 1500, 3000, 9000, 40_000]) {
      const text = JSON.stringify(
        Array.from({ length: Math.ceil(length / 10) }, (_, i) => ({
          id: (i * 2654435761) % 99991,
          tag: `t${i % 17}`,
        })),
      ).slice(0, length);
      expect(text).toHaveLength(length);
      const packed = await packForCookie(text, DEFLATE);
      expect(packed.length - 1, `length ${length}`).toBe(deflateRawSync(text).length);
      expect(await unpackFromCookie(packed)).toBe(text);
    }
  });

  it("deflates from the size where the uncompressed token would near the 4 KB cookie limit", async () => {
    // The rule: flag byte + text + 45 bytes of sealing (idle expiry included), base64url, stays
    // within 4096 - 512 characters below COMPRESS_FROM_BYTES; 512 are left for name and attributes.
    expect(COMPRESS_FROM_BYTES).toBe(2643);
    const sealer = createSealer(["pack-test-secret-0123456789-abcdefghijkl"]);
    const times = {
      createdAt: 1_800_000_000,
      absoluteExpiresAt: 1_800_086_400,
      idleExpiresAt: 1_800_007_200,
    };
    const never = { minCompressBytes: Number.POSITIVE_INFINITY };
    const rawToken = async (bytes: number) =>
      (await sealer.seal("cart", await packForCookie(hexText(bytes), never), times)).length;
    expect(await rawToken(COMPRESS_FROM_BYTES - 1)).toBeLessThanOrEqual(COOKIE_BYTE_LIMIT - 512);
    expect(await rawToken(COMPRESS_FROM_BYTES)).toBeGreaterThan(COOKIE_BYTE_LIMIT - 512);

    const compressible = (bytes: number) => repetitive.repeat(4).slice(0, bytes);
    expect((await packForCookie(compressible(COMPRESS_FROM_BYTES - 1)))[0]).toBe(0);
    expect((await packForCookie(compressible(COMPRESS_FROM_BYTES)))[0]).toBe(1);
    // Counted in UTF-8 bytes, not characters.
    const accented = "é".repeat(Math.ceil(COMPRESS_FROM_BYTES / 2));
    expect((await packForCookie(accented))[0]).toBe(1);
    expect((await packForCookie(accented.slice(0, 1000)))[0]).toBe(0);
    expect((await packForCookie("ab".repeat(60), DEFLATE))[0]).toBe(1);
  });

  it("round-trips non-ASCII text", async () => {
    const text = `${"héllo wörld 🎒 ".repeat(60)}`;
    expect(await unpackFromCookie(await packForCookie(text))).toBe(text);
    expect(await unpackFromCookie(await packForCookie(text, DEFLATE))).toBe(text);
    expect(await unpackFromCookie(await packForCookie("ü🎒"))).toBe("ü🎒");
  });

  it("still unpacks payloads packed before zlib streams were reused (deflated and raw)", async () => {
    // packForCookie's output for this text before (deflate-raw, level 6, a 4 KiB window).
    const text = JSON.stringify({
      items: Array.from({ length: 120 }, (_, i) => ({
        sku: `SKU-${((i * 2654435761) % 99991).toString(16)}`,
        qty: i % 7,
      })),
    });
    const before = Uint8Array.from(Buffer.from(PACKED_BEFORE, "base64"));
    expect(before[0]).toBe(1);
    expect(await unpackFromCookie(before)).toBe(text);
    expect(await unpackFromCookie(Uint8Array.of(0, ...new TextEncoder().encode(text)))).toBe(text);
  });

  it("refuses a decompression bomb", async () => {
    const bomb = await packForCookie("a".repeat(3 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(10_000);
    await expect(unpackFromCookie(bomb)).rejects.toThrow(/satchel: .*limit/);
    await expect(
      unpackFromCookie(await packForCookie(repetitive, DEFLATE), { maxBytes: 100 }),
    ).rejects.toThrow(SatchelError);
    expect(await unpackFromCookie(bomb, { maxBytes: 4 * 1024 * 1024 })).toHaveLength(3 * 1024 * 1024);
  });

  it("refuses unknown flags, corrupt deflate data and invalid UTF-8", async () => {
    await expect(unpackFromCookie(new Uint8Array([7, 1, 2]))).rejects.toThrow(/unknown format flag/);
    await expect(unpackFromCookie(new Uint8Array(0))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([1, 0xff, 0xff, 0xff]))).rejects.toThrow(SatchelError);
    await expect(unpackFromCookie(new Uint8Array([0, 0xc3, 0x28]))).rejects.toThrow(/UTF-8/);
  });

  it("keeps each unpacked text apart when many are unpacked at once", async () => {
    const texts = Array.from({ length: 12 }, (_, i) => `${i}:${repetitive.repeat(1 + (i % 3))}`);
    const packed = await Promise.all(texts.map((text) => packForCookie(text, DEFLATE)));
    expect(await Promise.all(packed.map((p) => unpackFromCookie(p)))).toEqual(texts);
  });

  it("the CompressionStream fallback (edge runtimes) reads node:zlib output and guards size", async () => {
    const packed = await packForCookie(repetitive, DEFLATE);
    const inflated = await inflateWithStream(packed.subarray(1), 1024 * 1024);
    expect(new TextDecoder().decode(inflated)).toBe(repetitive);
    const deflated = await deflateWithStream(new TextEncoder().encode(repetitive));
    expect(await unpackFromCookie(Uint8Array.of(1, ...deflated))).toBe(repetitive);
    const bomb = await deflateWithStream(new Uint8Array(2 * 1024 * 1024));
    await expect(inflateWithStream(bomb, 1024 * 1024)).rejects.toThrow(/limit/);
    await expect(inflateWithStream(new Uint8Array([0xff, 0xff, 0xff]), 1024)).rejects.toThrow(SatchelError);
  });
});

describe("packing without node:zlib (edge runtimes)", () => {
  it("deflates and inflates through CompressionStream, reading and writing what node:zlib does", async () => {
    await withoutNodeZlib(async () => {
      const edge = await import("./compress.ts");
      expect(edge.compressor).toBe("CompressionStream");
      expect(edge.zlibDriverKind()).toBeUndefined();
      const text = JSON.stringify(Array.from({ length: 400 }, (_, i) => ({ id: (i * 2654435761) % 9973 })));
      expect(text.length).toBeGreaterThan(edge.COMPRESS_FROM_BYTES);
      const packed = await edge.packForCookie(text);
      expect(packed[0]).toBe(1);
      expect(await edge.unpackFromCookie(packed)).toBe(text);
      expect(await unpackFromCookie(packed)).toBe(text);
      expect(await edge.unpackFromCookie(await packForCookie(text))).toBe(text);
      expect((await edge.packForCookie(text.slice(0, 1000)))[0]).toBe(0);
      const bomb = await packForCookie("a".repeat(3 * 1024 * 1024));
      await expect(edge.unpackFromCookie(bomb)).rejects.toThrow(/satchel: .*limit/);
      // (a fresh module graph: its SatchelError is another class, so match the message)
      await expect(edge.unpackFromCookie(Uint8Array.of(1, 0xff, 0xff))).rejects.toThrow(
        /satchel: session payload could not be inflated/,
      );
    });
  });
});

describe("node:zlib drivers", async () => {
  const zlib = await import("node:zlib");
  const reused = reusedZlib(zlib);
  if (reused === undefined) throw new Error("test: reused zlib streams are expected on Node 20-24");
  const drivers: [string, ZlibDriver][] = [
    ["reused handles", reused],
    ["per-call streams", perCallZlib(zlib)],
  ];
  const bytes = (text: string) => new TextEncoder().encode(text);
  /** A plain Uint8Array copy (the per-call driver returns Buffers), for toEqual. */
  const u8 = (view: Uint8Array | undefined) => (view === undefined ? undefined : new Uint8Array(view));
  const text = (length: number) =>
    JSON.stringify(Array.from({ length: length / 8 }, (_, i) => ({ i: (i * 2654435761) % 9973 }))).slice(
      0,
      length,
    );

  describe.each(drivers)("%s", (_name, driver) => {
    it("round-trips across sizes, the inflate output filling its scratch buffer several times", () => {
      for (const length of [40, 700, 3000, 5000, 20_000, 32_768, 65_536, 100_000]) {
        const raw = bytes(text(length));
        const packed = driver.pack(raw);
        expect(packed?.[0], `length ${length}`).toBe(1);
        if (packed === undefined) continue;
        expect(zlib.deflateRawSync(raw).equals(packed.subarray(1))).toBe(true);
        expect(Buffer.from(driver.inflate(packed.subarray(1), raw.length)).equals(raw)).toBe(true);
      }
      expect(driver.inflate(zlib.deflateRawSync(new Uint8Array(0)), 10)).toHaveLength(0);
    });

    it("returns undefined when deflate does not make the bytes smaller", () => {
      expect(driver.pack(new Uint8Array(0))).toBeUndefined();
      expect(driver.pack(bytes("q8Z!kP"))).toBeUndefined();
      const random = new Uint8Array(5000);
      let x = 2463534242;
      for (let i = 0; i < random.length; i++) {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        random[i] = x & 0xff;
      }
      expect(driver.pack(random)).toBeUndefined();
      // …and the next call starts clean.
      const raw = bytes(text(3000));
      expect(u8(driver.inflate(driver.pack(raw)?.subarray(1) ?? new Uint8Array(), 3000))).toEqual(raw);
    });

    it("reads what the other driver and CompressionStream wrote", async () => {
      const raw = bytes(text(9000));
      const other = drivers.find(([, d]) => d !== driver)?.[1] as ZlibDriver;
      expect(u8(driver.inflate(other.pack(raw)?.subarray(1) as Uint8Array, raw.length))).toEqual(raw);
      expect(u8(driver.inflate(await deflateWithStream(raw), raw.length))).toEqual(raw);
      const windowed = zlib.deflateRawSync(raw, { windowBits: 9, level: 9, memLevel: 9 });
      expect(u8(driver.inflate(windowed, raw.length))).toEqual(raw);
    });

    it("stops a bomb at the limit and refuses corrupt or truncated data, then keeps working", () => {
      const bomb = zlib.deflateRawSync(new Uint8Array(8 * 1024 * 1024));
      expect(() => driver.inflate(bomb, 1024 * 1024)).toThrow(/satchel: .*1048576-byte limit/);
      const raw = bytes(text(5000));
      const body = (driver.pack(raw) as Uint8Array).subarray(1);
      expect(() => driver.inflate(body, raw.length - 1)).toThrow(SatchelError);
      expect(u8(driver.inflate(body, raw.length))).toEqual(raw);
      expect(() => driver.inflate(body.subarray(0, body.length - 9), raw.length)).toThrow(SatchelError);
      expect(() => driver.inflate(new Uint8Array(0), 100)).toThrow(SatchelError);
      // Invalid block type; a back-reference before the start (a preset dictionary it lacks).
      expect(() => driver.inflate(Uint8Array.of(0xff, 0xff, 0xff), 100)).toThrow(SatchelError);
      const dictionary = bytes(text(2000));
      const needsDictionary = zlib.deflateRawSync(raw, { dictionary });
      expect(() => driver.inflate(needsDictionary, raw.length)).toThrow(SatchelError);
      expect(u8(driver.inflate(body, raw.length))).toEqual(raw);
      expect(u8(driver.pack(raw)?.subarray(1))).toEqual(u8(body));
    });
  });

  it("falls back to per-call streams where the internals are not what it checked", () => {
    const shaped = (DeflateRaw: unknown) => ({ ...zlib, DeflateRaw }) as unknown as typeof zlib;
    // No native handle to drive.
    expect(reusedZlib(shaped(class {}))).toBeUndefined();
    // A handle that does not compress: the self-check against deflateRawSync refuses it.
    class Wrong {
      _writeState = new Uint32Array(2);
      _handle = {
        writeSync: () => {},
        reset: () => {},
        close: () => {},
        onerror: () => {},
      };
    }
    expect(reusedZlib(shaped(Wrong))).toBeUndefined();
    // A handle whose writes throw.
    class Throwing {
      _writeState = new Uint32Array(2);
      _handle = {
        writeSync: () => {
          throw new TypeError("changed signature");
        },
        reset: () => {},
        close: () => {},
        onerror: () => {},
      };
    }
    expect(reusedZlib(shaped(Throwing))).toBeUndefined();
  });
});

const PACKED_BEFORE =
  "AXWWu4pdMQxF/+XUE7AsyY/5hZQhVUhh+9gQQoowSRGG+fdUF2V22O0V3LPEEgu/Xt9+7R8v1/OX1+vl++/r+fr08fOHdD1dP3/9uZ7T29O/v0vWqY+ZvJ+ttM5jlN+P/N7zMVL4xyZ9P2YGM9lzPGb+fjbnXR6jAl9rJzP+uoYTfpG+hCwwy32TBVxPZ/y1jkX4RWw1ssCUbWQBOykx/prDDfBLOiEHFhgr5MACNlJl/OUONwW/NkIOLDBqyIEFzNNm/KWFG7yg5CEHFhg55MAClsQZf9FwgxeUUsiBBfoOObCATlmM33e4Af4zww3w9x5ugF9LVobvPdQA/imhBvC7hRrAV8mD3b9bmAH8I2EG8NsJM4Cflwo7fzshBvD3HWIAv40QA/i5amPXbyPEAP5uIQbwm2dWz5yV1VPMQwzgb02sni1lFk+5jcVTLIUYwL+3sHjWqayd0oy1U3SFGMC/u7B21qIsnaLO0ilaQwzg35ZZOqsoK+d2Fk7RHF6Afp3MwlmWsW72wrIp+Q4tAL+GsmyWaqyaVlg0JbewAvDLlUWzZGfNlFbCCl5O1tAC+Cspi6bfzqIpTcILno7sEAMLzGmsmt4Kq6bUFWbw9KWHGlhgFmPZdC0sm1JruMHbFws5sMAUZ920XVk3peZwg9efTsiBBcZyFk7rlYVTyh1u8ILSCDmwwKiFldOs0ndnaeEGLyh5yIEFRi4snXoafXcWDTf/vdtSyIEF+l1ZO3U0+u70HW6A/8xwg/lplbVTvdNnp/dQA/inhBrA71pZPDV1+up0CzPp7evbXw==";
