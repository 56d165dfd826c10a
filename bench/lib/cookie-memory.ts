/**
 * What a browser keeps between requests, for in-process benchmarks: `Set-Cookie` lines in, one
 * `Cookie` header out. A `Max-Age=0` (or a past `Expires`) removes the cookie, as browsers do.
 */
export class CookieMemory {
  readonly #cookies = new Map<string, string>();

  /** Applies a response's `Set-Cookie` lines. */
  apply(setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const end = line.indexOf(";");
      const pair = end < 0 ? line : line.slice(0, end);
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      if (/;\s*max-age=0(;|$)/i.test(line) || /;\s*expires=thu, 01 jan 1970/i.test(line))
        this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1));
    }
  }

  /** The `Cookie` header the next request sends. */
  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  /** How many cookies there are and their values' total length. */
  size(): { count: number; bytes: number } {
    let bytes = 0;
    for (const value of this.#cookies.values()) bytes += value.length;
    return { count: this.#cookies.size, bytes };
  }
}
