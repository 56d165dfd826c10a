/** Serving an express app (the app being switched away from) on a free loopback port, for tests. */
import type { RequestListener } from "node:http";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A running app: where it answers, and how to stop it. */
export interface ServedApp {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` (an express app is a request listener) on 127.0.0.1 and a free port. */
export function listenOnLoopback(app: RequestListener): Promise<ServedApp> {
  return new Promise((resolve) => {
    const server = createServer(app).listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}
