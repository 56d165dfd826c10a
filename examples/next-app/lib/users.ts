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

/** The user with this username and password, or `undefined`. */
export function checkPassword(username: string, password: string): DemoUser | undefined {
  return DEMO_USERS.find((user) => user.username === username && user.password === password);
}
