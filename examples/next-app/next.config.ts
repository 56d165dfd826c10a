import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

/** The repository root: the app compiles the satchel sources and the generated module from there. */
const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

const config: NextConfig = {
  // Tests build into their own directory so a running demo's build is left alone.
  distDir: process.env.SATCHEL_NEXT_DIST_DIR ?? ".next",
  turbopack: { root: repoRoot },
  poweredByHeader: false,
  // As create-next-app 16.4 writes them: pages render request data only inside <Suspense>.
  cacheComponents: true,
  partialPrefetching: true,
};

export default config;
