import { describe, expect, it } from "vitest";
import {
  base64urlDecode,
  base64urlEncode,
  base64urlOfStart,
  base64urlPortable,
  type CryptoBackend,
  loadNodeCrypto,
  nodeCryptoBackend,
  selectBackend,
  timingSafeEqual,
  utf8,
  webCryptoBackend,
} from "./backend.ts";

const node = nodeCryptoBackend() as CryptoBackend;
const backends: [string, CryptoBackend][] = [
  ["node", node],
  ["webcrypto", webCryptoBackend],
];
const secret = utf8("a-secret-that-is-long-enough-for-hkdf");
const salt = utf8("salt");
const info = utf8("info");

describe("backend selection", () => {
  it("finds node:crypto through process.getBuiltinModule", () => {
    expect(loadNodeCrypto()).toBeDefined();
    expect(node.name).toBe("node");
    expect(selectBackend().name).toBe("node");
    expect(selectBackend("auto")).toBe(node);
    expect(selectBackend("webcrypto")).toBe(webCryptoBackend);
    expect(selectBackend(webCryptoBackend)).toBe(webCryptoBackend);
  });
});

describe("without node:crypto (edge runtimes)", () => {
  it("finds no node:crypto and falls back to WebCrypto", () => {
    const proc = process as unknown as { getBuiltinModule?: unknown };
    const original = proc.getBuiltinModule;
    proc.getBuiltinModule = undefined;
    try {
      expect(loadNodeCrypto()).toBeUndefined();
    } finally {
      proc.getBuiltinModule = original;
    }
    expect(loadNodeCrypto()).toBeDefined();
  });
});

describe.each(backends)("%s backend", (_name, backend) => {
  it("encrypts and decrypts with associated data", async () => {
    const key = await backend.deriveKey(secret, salt, info, "aes-gcm");
    const iv = backend.randomBytes(12);
    const aad = utf8("aad");
    const sealed = await backend.encrypt(key, iv, utf8("hello"), aad);
    expect(sealed.length).toBe(5 + 16);
    expect(new TextDecoder().decode((await backend.decrypt(key, iv, sealed, aad)) as Uint8Array)).toBe(
      "hello",
    );
    expect(await backend.decrypt(key, iv, sealed, utf8("other"))).toBeNull();
    expect(await backend.decrypt(key, iv, sealed.subarray(0, 10), aad)).toBeNull();
    expect(await backend.decrypt(key, iv, new Uint8Array(3), aad)).toBeNull();
  });

  it("refuses keys of another use or backend", async () => {
    const hmacKey = await backend.deriveKey(secret, salt, info, "hmac");
    await expect(
      backend.encrypt(hmacKey, new Uint8Array(12), new Uint8Array(1), new Uint8Array(0)),
    ).rejects.toThrow(/^satchel: /);
    const other = backend === node ? webCryptoBackend : node;
    const foreign = await other.deriveKey(secret, salt, info, "aes-gcm");
    await expect(
      backend.encrypt(foreign, new Uint8Array(12), new Uint8Array(1), new Uint8Array(0)),
    ).rejects.toThrow(/not portable/);
  });

  it("returns random bytes of the asked length, different each time", () => {
    const a = backend.randomBytes(32);
    const b = backend.randomBytes(32);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(b);
  });
});

describe("node:crypto and WebCrypto agree", () => {
  it("on HKDF (RFC 5869 test case 1)", async () => {
    const hex = (s: string) => Uint8Array.from(s.match(/../g) as string[], (h) => Number.parseInt(h, 16));
    const ikm = hex("0b".repeat(22));
    const s = hex("000102030405060708090a0b0c");
    const i = hex("f0f1f2f3f4f5f6f7f8f9");
    const okm = hex("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
    expect(await node.deriveBits(ikm, s, i, 42)).toEqual(okm);
    expect(await webCryptoBackend.deriveBits(ikm, s, i, 42)).toEqual(okm);
  });

  it("on AES-GCM ciphertext and HMAC", async () => {
    const iv = node.randomBytes(12);
    const aad = utf8("bound");
    const data = utf8("the same bytes either way");
    const [nk, wk] = await Promise.all([
      node.deriveKey(secret, salt, info, "aes-gcm"),
      webCryptoBackend.deriveKey(secret, salt, info, "aes-gcm"),
    ]);
    const fromNode = await node.encrypt(nk, iv, data, aad);
    expect(await webCryptoBackend.encrypt(wk, iv, data, aad)).toEqual(fromNode);
    expect(await webCryptoBackend.decrypt(wk, iv, fromNode, aad)).toEqual(data);
    const [nh, wh] = await Promise.all([
      node.deriveKey(secret, salt, info, "hmac"),
      webCryptoBackend.deriveKey(secret, salt, info, "hmac"),
    ]);
    expect(await node.hmac(nh, data)).toEqual(await webCryptoBackend.hmac(wh, data));
  });
});

describe("node:crypto and WebCrypto agree on what reading other libraries' seals needs", () => {
  const hex = (s: string) => Uint8Array.from(s.match(/../g) as string[], (h) => Number.parseInt(h, 16));

  it.each(backends)("%s: PBKDF2-HMAC-SHA1 gives the RFC 6070 test vectors", async (_name, backend) => {
    const password = utf8("password");
    const salt = utf8("salt");
    expect(await backend.pbkdf2Sha1(password, salt, 1, 20)).toEqual(
      hex("0c60c80f961f0e71f3a9b524af6012062fe037a6"),
    );
    expect(await backend.pbkdf2Sha1(password, salt, 2, 20)).toEqual(
      hex("ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"),
    );
    expect(
      await backend.pbkdf2Sha1(
        utf8("passwordPASSWORDpassword"),
        utf8("saltSALTsaltSALTsaltSALTsaltSALTsalt"),
        4096,
        25,
      ),
    ).toEqual(hex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038"));
  });

  it("on 32-byte PBKDF2-SHA1 keys (iron's length) for long passwords and hex salts", async () => {
    for (const [password, salt] of [
      ["a-password-of-at-least-32-characters", "00ff".repeat(16)],
      ["ü-unicode-password-ü-ü-ü-ü-ü-ü-ü-ü", ""],
    ] as const) {
      const fromNode = await node.pbkdf2Sha1(utf8(password), utf8(salt), 1, 32);
      expect(fromNode.length).toBe(32);
      expect(await webCryptoBackend.pbkdf2Sha1(utf8(password), utf8(salt), 1, 32)).toEqual(fromNode);
    }
  });

  it("on AES-256-CBC decryption of what node:crypto's cipher wrote, padding removed", async () => {
    const { createCipheriv } = loadNodeCrypto() as NonNullable<ReturnType<typeof loadNodeCrypto>>;
    const key = node.randomBytes(32);
    const iv = node.randomBytes(16);
    for (const length of [0, 1, 15, 16, 17, 1000]) {
      const plaintext = node.randomBytes(length);
      const cipher = createCipheriv("aes-256-cbc", key, iv);
      const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final()]));
      expect(ciphertext.length % 16).toBe(0);
      for (const [name, backend] of backends) {
        expect(await backend.decryptAesCbc(key, iv, ciphertext), `${name}, ${length} bytes`).toEqual(
          plaintext,
        );
      }
    }
  });

  it.each(backends)("%s: AES-256-CBC refuses broken input with null", async (_name, backend) => {
    const { createCipheriv } = loadNodeCrypto() as NonNullable<ReturnType<typeof loadNodeCrypto>>;
    const key = node.randomBytes(32);
    const iv = node.randomBytes(16);
    const cipher = createCipheriv("aes-256-cbc", key, iv);
    const ciphertext = new Uint8Array(
      Buffer.concat([cipher.update(utf8("sixteen bytes!!")), cipher.final()]),
    );
    expect(await backend.decryptAesCbc(key, iv, ciphertext.subarray(0, 15))).toBeNull();
    expect(await backend.decryptAesCbc(key, iv, new Uint8Array(0))).toBeNull();
    expect(await backend.decryptAesCbc(key, iv.subarray(0, 12), ciphertext)).toBeNull();
    expect(await backend.decryptAesCbc(key.subarray(0, 16), iv, ciphertext)).toBeNull();
  });

  it.each(backends)(
    "%s: AES-256-CBC refuses a 16-byte key even where AES-128 would decrypt to valid padding",
    async (_name, backend) => {
      // A block and an iv chosen so that AES-128-CBC under the key's first 16 bytes decrypts to a
      // block ending in 0x01 (valid PKCS#7 padding): a backend that took the short key as AES-128
      // would hand back 15 bytes of garbage instead of refusing (before, 1 run in ~256 by chance).
      const { createDecipheriv } = loadNodeCrypto() as NonNullable<ReturnType<typeof loadNodeCrypto>>;
      const key = node.randomBytes(32);
      const shortKey = key.subarray(0, 16);
      const block = node.randomBytes(16);
      const ecb = createDecipheriv("aes-128-ecb", shortKey, null).setAutoPadding(false);
      const decrypted = new Uint8Array(Buffer.concat([ecb.update(block), ecb.final()]));
      const iv = node.randomBytes(16);
      iv[15] = (decrypted[15] as number) ^ 0x01;
      expect(await backend.decryptAesCbc(shortKey, iv, block)).toBeNull();
    },
  );

  it("on HMAC-SHA256 under keys of any length (RFC 4231 test cases 1 and 6)", async () => {
    const cases = [
      [
        hex("0b".repeat(20)),
        utf8("Hi There"),
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
      ],
      [
        hex("aa".repeat(131)),
        utf8("Test Using Larger Than Block-Size Key - Hash Key First"),
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
      ],
    ] as const;
    for (const [key, data, mac] of cases) {
      for (const [name, backend] of backends) {
        expect(await backend.hmac(await backend.importKey(key, "hmac"), data), name).toEqual(hex(mac));
      }
    }
  });
});

describe("base64url", () => {
  it("matches Buffer for every length 0..64 and both codecs agree", () => {
    for (let length = 0; length <= 64; length++) {
      const data = node.randomBytes(length);
      const text = Buffer.from(data).toString("base64url");
      expect(base64urlEncode(data)).toBe(text);
      expect(base64urlPortable.encode(data)).toBe(text);
      expect(base64urlDecode(text)).toEqual(data);
      expect(base64urlPortable.decode(text)).toEqual(data);
    }
  });

  it("encodes the start of a reused buffer as base64urlEncode encodes that part", () => {
    const bytes = node.randomBytes(64);
    const start = base64urlOfStart(bytes);
    for (const length of [0, 1, 2, 3, 31, 64]) {
      expect(start(length)).toBe(base64urlEncode(bytes.subarray(0, length)));
    }
    bytes[0] = (bytes[0] as number) ^ 1; // the same memory, read again
    expect(start(3)).toBe(base64urlEncode(bytes.subarray(0, 3)));
  });

  it("rejects padding, foreign characters, impossible lengths and non-canonical tails", () => {
    for (const bad of ["AA==", "A+B/", "A", "AAAAA", "AB", "AAB", "A A", "Zg=", "ü"]) {
      expect(base64urlDecode(bad), bad).toBeNull();
      expect(base64urlPortable.decode(bad), bad).toBeNull();
    }
    // "Zg" is "f"; "Zh" decodes to "f" too in lenient decoders but is not canonical.
    expect(base64urlDecode("Zg")).toEqual(utf8("f"));
    expect(base64urlDecode("Zh")).toBeNull();
    expect(base64urlDecode("Zm8")).toEqual(utf8("fo"));
    expect(base64urlDecode("Zm9")).toBeNull();
  });

  it("refuses every text Node's lenient decoder reads as the same bytes as a valid one", () => {
    // A text with "-", "_" and a zero tail, as sealed tokens have.
    const data = Uint8Array.from([0xfb, 0xff, 0xbf, 0x00, 0x10]);
    const text = base64urlEncode(data);
    expect(text).toBe("-_-_ABA");
    const aliases = [
      text.replace("-", "+"), // the base64 alphabet, which Node also decodes
      text.replace("_", "/"),
      `${text}=`, // padding, skipped
      `${text.slice(0, 2)} ${text.slice(2)}`, // whitespace and other junk, skipped
      `${text.slice(0, 2)}\t\n${text.slice(2)}`,
      `${text.slice(0, 2)}*!${text.slice(2)}`,
      `${text.slice(0, 2)}\u00e9${text.slice(2)}`,
      text.replace("A", "\u0141"), // above U+00FF: Node reads the low byte, 0x41 "A"
      text.replace("-", "\u012d"),
      `${text.slice(0, -1)}B`, // non-zero unused bits, dropped
    ];
    for (const bad of [...aliases, `${text.slice(0, 3)}=${text.slice(3)}`]) {
      expect(base64urlDecode(bad), JSON.stringify(bad)).toBeNull();
      expect(base64urlPortable.decode(bad), JSON.stringify(bad)).toBeNull();
    }
    // What makes the refusals matter: Node alone would take each of them for the token.
    for (const alias of aliases) expect(Buffer.from(alias, "base64url")).toEqual(Buffer.from(data));
    expect(base64urlDecode(text)).toEqual(data);
  });

  it("accepts exactly what the character check accepts, for every character put in or swapped in", () => {
    // Lengths of each remainder mod 4, a cookie-sized token and one past Buffer's pooled size.
    for (const size of [3, 4, 5, 310, 3100]) {
      const text = base64urlEncode(node.randomBytes(size));
      for (let code = 0; code < 0x200; code++) {
        const c = String.fromCharCode(code);
        const at = (code * 7919) % text.length;
        for (const variant of [
          text.slice(0, at) + c + text.slice(at),
          text.slice(0, at) + c + text.slice(at + 1),
          text + c,
        ]) {
          expect(base64urlDecode(variant), JSON.stringify(c)).toEqual(base64urlPortable.decode(variant));
        }
      }
    }
  });
});

describe("timingSafeEqual", () => {
  it("compares bytes and lengths", () => {
    expect(timingSafeEqual(utf8("abc"), utf8("abc"))).toBe(true);
    expect(timingSafeEqual(utf8("abc"), utf8("abd"))).toBe(false);
    expect(timingSafeEqual(utf8("abc"), utf8("ab"))).toBe(false);
    expect(timingSafeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe("sha256", () => {
  it("gives node:crypto's and WebCrypto's digests byte for byte (store keys must not change by backend)", async () => {
    for (const text of ["", "abc", "satchel-public-id:\u00e9\u{1F600}", "x".repeat(10_000)]) {
      const data = utf8(text);
      const expected = new Uint8Array(await crypto.subtle.digest("SHA-256", data as Uint8Array<ArrayBuffer>));
      expect(await node.sha256?.(data)).toEqual(expected);
      expect(await webCryptoBackend.sha256?.(data)).toEqual(expected);
    }
    // The SHA-256 of "abc" from FIPS 180-2, so neither side can be wrong the same way.
    expect(base64urlEncode((await node.sha256?.(utf8("abc"))) as Uint8Array)).toBe(
      "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0",
    );
  });
});
