/** Baseline: a route handler with no session. */
export const dynamic = "force-dynamic";

export function GET(): Response {
  return new Response("0", { headers: { "content-type": "text/plain" } });
}
