import { csrfToken } from "@/sessions";

/**
 * A plain HTML form posting to a route handler (not a server action), so it needs CSRF protection:
 * the token comes from the cookie the proxy set (`sessionProxy({ csrf: true })`).
 */
export default async function ContactPage() {
  const token = await csrfToken();
  return (
    <>
      <h1>Contact</h1>
      <form method="post" action="/contact/send">
        <input type="hidden" name="_csrf" value={token} />
        <p>
          <label>
            Your name <input name="name" required />
          </label>
        </p>
        <button type="submit">Send</button>
      </form>
    </>
  );
}
