/**
 * The language preference, kept in the `prefs` session and applied on every page (the Pylons i18n
 * example). Only interface text is translated; flash messages are shown as they were written.
 */
export type Language = "en" | "de" | "fr";

export const LANGUAGES: readonly { code: Language; label: string }[] = [
  { code: "en", label: "English" },
  { code: "de", label: "Deutsch" },
  { code: "fr", label: "Français" },
];

const TEXT = {
  en: {
    forgotPassword: "Forgot your password?",
    getResetLink: "Get a reset link",
    resetLinkNote:
      "No mail is sent in this demo: this is the link the mail would carry. It works once, for 15 minutes.",
    noSuchUser: "No demo user has that username.",
    chooseNewPassword: "Choose a new password",
    newPasswordFor: "New password for",
    newPassword: "New password",
    setNewPassword: "Set the new password",
    resetLinkInvalid: "This link has expired or was already used.",
    askForNewLink: "Ask for a new one",
    passwordChanged: "Your password was changed. Log in with the new one.",
    home: "Home",
    cart: "Cart",
    login: "Log in",
    logout: "Log out",
    welcome: "Welcome to the satchel demo",
    signedInAs: "Signed in as",
    notSignedIn: "You are not signed in.",
    username: "Username",
    password: "Password",
    rememberMe: "Remember me for 30 days",
    language: "Language",
    save: "Save",
    add: "Add",
    remove: "Remove",
    emptyCart: "Your cart is empty.",
    itemsInCart: "Items in your cart",
    cartUnavailable: "Cart unavailable,",
    tryAgain: "try again",
    countUnknown: "unknown while the cart is unavailable",
    demoUsers: "Demo users",
    languageSaved: "Your language preference was saved.",
    tutorials: "The seeds' tutorials",
    inspector: "Session inspector",
    signedInHint: "Sign in, fill the cart, switch the language — then look at it all in the inspector.",
  },
  de: {
    forgotPassword: "Passwort vergessen?",
    getResetLink: "Link zum Zurücksetzen anfordern",
    resetLinkNote:
      "Diese Demo verschickt keine E-Mail: Dies ist der Link, den die E-Mail enthielte. Er gilt einmal, 15 Minuten lang.",
    noSuchUser: "Kein Demo-Benutzer hat diesen Benutzernamen.",
    chooseNewPassword: "Neues Passwort wählen",
    newPasswordFor: "Neues Passwort für",
    newPassword: "Neues Passwort",
    setNewPassword: "Neues Passwort speichern",
    resetLinkInvalid: "Dieser Link ist abgelaufen oder wurde schon benutzt.",
    askForNewLink: "Einen neuen anfordern",
    passwordChanged: "Ihr Passwort wurde geändert. Melden Sie sich mit dem neuen an.",
    home: "Start",
    cart: "Warenkorb",
    login: "Anmelden",
    logout: "Abmelden",
    welcome: "Willkommen zur satchel-Demo",
    signedInAs: "Angemeldet als",
    notSignedIn: "Sie sind nicht angemeldet.",
    username: "Benutzername",
    password: "Passwort",
    rememberMe: "30 Tage angemeldet bleiben",
    language: "Sprache",
    save: "Speichern",
    add: "Hinzufügen",
    remove: "Entfernen",
    emptyCart: "Ihr Warenkorb ist leer.",
    itemsInCart: "Artikel in Ihrem Warenkorb",
    cartUnavailable: "Warenkorb nicht verfügbar,",
    tryAgain: "bitte erneut versuchen",
    countUnknown: "unbekannt, solange der Warenkorb nicht verfügbar ist",
    demoUsers: "Demo-Benutzer",
    languageSaved: "Ihre Spracheinstellung wurde gespeichert.",
    tutorials: "Die Tutorials der Vorlagen",
    inspector: "Session-Inspektor",
    signedInHint: "Anmelden, den Warenkorb füllen, die Sprache wechseln — und alles im Inspektor ansehen.",
  },
  fr: {
    forgotPassword: "Mot de passe oublié ?",
    getResetLink: "Recevoir un lien de réinitialisation",
    resetLinkNote:
      "Cette démo n'envoie pas de courriel : voici le lien que le courriel contiendrait. Il sert une fois, pendant 15 minutes.",
    noSuchUser: "Aucun utilisateur de démo n'a ce nom.",
    chooseNewPassword: "Choisir un nouveau mot de passe",
    newPasswordFor: "Nouveau mot de passe pour",
    newPassword: "Nouveau mot de passe",
    setNewPassword: "Enregistrer le nouveau mot de passe",
    resetLinkInvalid: "Ce lien a expiré ou a déjà servi.",
    askForNewLink: "En demander un nouveau",
    passwordChanged: "Votre mot de passe a été changé. Connectez-vous avec le nouveau.",
    home: "Accueil",
    cart: "Panier",
    login: "Se connecter",
    logout: "Se déconnecter",
    welcome: "Bienvenue dans la démo satchel",
    signedInAs: "Connecté en tant que",
    notSignedIn: "Vous n'êtes pas connecté.",
    username: "Nom d'utilisateur",
    password: "Mot de passe",
    rememberMe: "Se souvenir de moi pendant 30 jours",
    language: "Langue",
    save: "Enregistrer",
    add: "Ajouter",
    remove: "Retirer",
    emptyCart: "Votre panier est vide.",
    itemsInCart: "Articles dans votre panier",
    cartUnavailable: "Panier indisponible,",
    tryAgain: "réessayez",
    countUnknown: "inconnu tant que le panier est indisponible",
    demoUsers: "Utilisateurs de démo",
    languageSaved: "Votre préférence de langue a été enregistrée.",
    tutorials: "Les tutoriels d'origine",
    inspector: "Inspecteur de sessions",
    signedInHint:
      "Connectez-vous, remplissez le panier, changez de langue — puis regardez tout dans l'inspecteur.",
  },
} as const;

export type Texts = (typeof TEXT)[Language];

/** The interface text in `language`. */
export function texts(language: Language): Texts {
  return TEXT[language];
}

/** True for a language the app offers. */
export function isLanguage(value: unknown): value is Language {
  return value === "en" || value === "de" || value === "fr";
}
