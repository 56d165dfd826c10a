import type { ReactNode } from "react";
import { Suspense } from "react";
import "./globals.css";
import { Shell } from "./shell";

export const metadata = { title: "satchel demo" };

/**
 * Static on purpose: everything that reads a session (the shell and the pages) renders inside
 * `<Suspense>`, as Cache Components requires for request data.
 */
export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Suspense fallback={<div className="loading">satchel demo</div>}>
          <Shell>{children}</Shell>
        </Suspense>
      </body>
    </html>
  );
}
