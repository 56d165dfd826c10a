/**
 * Debian's Chromium for the example tests, driven by playwright-core: never a downloaded browser
 * (`npx playwright install` needs the internet). The flags keep it headless, off the network and
 * quiet on a machine with no display or sandbox.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Starts Chromium; a generous launch timeout because tests may run next to builds on 2 cores. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `satchel tests: no Chromium at ${CHROMIUM}; install it (apt-get install -y chromium, as .ci/run does) or set CHROMIUM_PATH.`,
    );
  }
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true, timeout: 60_000 });
}
