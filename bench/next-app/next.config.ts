import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

/** The repository root: the app compiles the satchel sources and bench/lib from there. */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const config: NextConfig = {
  turbopack: { root: repoRoot },
  poweredByHeader: false,
  // ioredis is loaded by Node at run time, as an app would have it from node_modules.
  serverExternalPackages: ["ioredis", "pg", "memjs"],
};

export default config;
