import { texts } from "@/lib/i18n";
import { getSession } from "@/sessions";

/** Shows the flash once (the proxy handed it to this render and removed it from the cookie). */
export default async function Home() {
  const [auth, prefs] = await Promise.all([getSession("auth"), getSession("prefs")]);
  const t = texts(prefs.language);
  const notices = auth.flash.notice.read();
  return (
    <>
      {notices.map((notice) => (
        <p role="status" key={notice} data-testid="flash" className="notice level-success">
          {notice}
        </p>
      ))}
      <h1>{t.welcome}</h1>
      <div className="card">
        {auth.userId ? (
          <p data-testid="signed-in">
            {t.signedInAs} <strong>{auth.name}</strong> ({auth.roles.join(", ")})
          </p>
        ) : (
          <p data-testid="signed-out">{t.notSignedIn}</p>
        )}
        <p>
          {t.signedInHint} <a href="/_satchel">/_satchel</a>
        </p>
      </div>
    </>
  );
}
