/**
 * The demo users. Passwords in plain text are fine for a demo and nowhere else: a real app checks a
 * password hash (argon2, bcrypt, scrypt) from its database.
 */
export interface DemoUser {
  id: string;
  username: string;
  password: string;
  name: string;
  roles: ("admin" | "member")[];
}

export const DEMO_USERS: readonly DemoUser[] = [
  { id: "u1", username: "alice", password: "wonderland", name: "Alice", roles: ["admin", "member"] },
  { id: "u2", username: "bob", password: "builder", name: "Bob", roles: ["member"] },
];

/**
 * Passwords changed through the reset link, by user id. In memory, for as long as the server runs:
 * the demo forgets them on restart, a real app writes the new hash to its database.
 */
const changedPasswords = new Map<string, string>();

/** The user with this username and password, or `undefined`. */
export function checkPassword(username: string, password: string): DemoUser | undefined {
  return DEMO_USERS.find(
    (user) => user.username === username && (changedPasswords.get(user.id) ?? user.password) === password,
  );
}

/** The user with this username, or `undefined`. */
export function findUser(username: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.username === username);
}

/** The user with this id, or `undefined`. */
export function userById(id: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.id === id);
}

/** Sets a user's password (the reset link's action). */
export function setPassword(userId: string, password: string): void {
  changedPasswords.set(userId, password);
}
