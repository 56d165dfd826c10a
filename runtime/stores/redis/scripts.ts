/**
 * The Redis store's Lua scripts. Each touches exactly one key, which is what lets the store run
 * unchanged on a Redis Cluster (no CROSSSLOT), and makes its check-then-write one atomic step.
 */
import { createHash } from "node:crypto";
import { Command, type RedisClient } from "./connection.ts";

export interface Script {
  lua: string;
  sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/**
 * KEYS[1] record; ARGV[1]: `<mode> <expected> <expiresAt> <now> <userIdBytes> <userId><value>` —
 * mode "set" | "cas", expected version ("" = no live record), the user id's length in bytes (0 =
 * none), then the user id and the value, unseparated. Returns the new version, or 0 on conflict.
 * Everything travels as one argument: ioredis flattens and frames each argument of a command one
 * by one, at a cost per argument that made them a large part of a write's client-side work. What it
 * stores is what the previous release's script (six arguments) stored.
 */
export const WRITE = script(`
local mode, expected, expiresAt, nowms, uidlen, at = string.match(ARGV[1], '^(%S+) (%S*) (%S+) (%S+) (%d+) ()')
local uid = string.sub(ARGV[1], at, at + uidlen - 1)
local val = string.sub(ARGV[1], at + uidlen)
local cur = redis.call('HMGET', KEYS[1], 'ver', 'exp')
local ver = tonumber(cur[1])
local exp = tonumber(cur[2])
local live = ver ~= nil and exp ~= nil and exp > tonumber(nowms)
if mode == 'cas' then
  if expected == '' then
    if live then return 0 end
  elseif (not live) or ver ~= tonumber(expected) then
    return 0
  end
end
local nextver = (ver or 0) + 1
redis.call('DEL', KEYS[1])
if uid == '' then
  redis.call('HSET', KEYS[1], 'val', val, 'ver', nextver, 'exp', expiresAt)
else
  redis.call('HSET', KEYS[1], 'val', val, 'ver', nextver, 'exp', expiresAt, 'uid', uid)
end
redis.call('PEXPIREAT', KEYS[1], expiresAt)
return nextver
`);

/**
 * KEYS[1] record. The record's ver, exp and val as one string, `<ver> <exp> <val>` (the numbers have
 * no space), or false when a field is missing. The same HMGET as before, but one string reply instead
 * of an array of three: ioredis decodes each element of an array reply through its generic (and
 * costly) nested-type path, which made the reply's decoding most of a read's client-side work.
 */
export const READ = script(`
local r = redis.call('HMGET', KEYS[1], 'val', 'ver', 'exp')
if r[1] and r[2] and r[3] then return r[2] .. ' ' .. r[3] .. ' ' .. r[1] end
return false
`);

/** KEYS[1] record; ARGV: expiresAt, now. Extends a live record; returns its uid ("" none), or false when missing. */
export const TOUCH = script(`
local exp = tonumber(redis.call('HGET', KEYS[1], 'exp'))
if exp == nil or exp <= tonumber(ARGV[2]) then return false end
redis.call('HSET', KEYS[1], 'exp', ARGV[1])
redis.call('PEXPIREAT', KEYS[1], ARGV[1])
return redis.call('HGET', KEYS[1], 'uid') or ''
`);

/** KEYS[1] record. Deletes it; returns its uid ("" none) so the caller can drop it from the user index. */
export const DELETE = script(`
local uid = redis.call('HGET', KEYS[1], 'uid')
redis.call('DEL', KEYS[1])
return uid or ''
`);

/**
 * KEYS[1] user index; ARGV: member, expiresAt. Adds the member; the set lives as long as its longest
 * record. The set's current expiry is compared in server time (TIME + PTTL), the clock PEXPIREAT
 * uses; calling TIME before a write is fine since Redis 5 replicates script effects, not scripts.
 */
export const INDEX_ADD = script(`
redis.call('SADD', KEYS[1], ARGV[1])
local t = redis.call('TIME')
local nowms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 or nowms + pttl < tonumber(ARGV[2]) then
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
end
return 1
`);

/** A script command's options without a friendly error stack: replies decoded as UTF-8. */
const UTF8 = { replyEncoding: "utf8" } as const;

/**
 * `EVALSHA <sha> 1 <key> <args…>`, sent and answered as ioredis's `client.evalsha(sha, 1, key,
 * ...args)` is, but cheaper to make. ioredis's Command constructor copies its arguments with
 * `Array.prototype.flat` (a V8 runtime call per element: ~1.5k instructions per argument under
 * callgrind), frames each argument with several concatenations, and decodes the reply with its
 * generic converter and a lookup of reply transformers; together about a fifth of a store read's
 * client-side work. Here the arguments are strings already and are set after construction (what
 * `flat` and `stringifyArguments` would have left unchanged), the frame is written in one piece
 * (the SHA is 40 hex digits, the key count "1"), and a reply (a string, an integer or nil for these
 * scripts) is decoded directly. `args` stays the real argument list: cluster slot routing, error
 * reports and tracing read it. No fields of its own: a new property on each command cost a map
 * transition per call.
 */
class ScriptCommand extends Command {
  constructor(args: string[], options: { replyEncoding: "utf8"; errorStack?: Error }) {
    super("evalsha", [], options);
    this.args = args;
  }

  /** The RESP frame: name, SHA and key count, then the key and arguments (byte lengths, not characters). */
  override toWritable(): string {
    const args = this.args as string[];
    let frame = `*${args.length + 1}\r\n$7\r\nevalsha\r\n$40\r\n${args[0]}\r\n$1\r\n1\r\n`;
    for (let i = 2; i < args.length; i++) {
      const arg = args[i] as string;
      frame += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
    }
    return frame;
  }

  override transformReply(reply: Buffer | Buffer[]): string | string[] | Buffer | Buffer[] {
    // Integers and nil come as they are (a number, null): the types ioredis declares name buffers only.
    if (reply instanceof Buffer) return reply.toString();
    return Array.isArray(reply) ? super.transformReply(reply) : reply;
  }
}

/** Sends the script's EVALSHA; the command's own promise. */
function send(client: RedisClient, s: Script, key: string, args: string[]): Promise<unknown> {
  const options = client.options;
  // What ioredis's own evalsha adds to a command: the client's key prefix and, when asked for, the
  // caller's stack for errors.
  const prefixed = options.keyPrefix ? options.keyPrefix + key : key;
  const command = new ScriptCommand(
    [s.sha, "1", prefixed, ...args],
    options.showFriendlyErrorStack ? { replyEncoding: "utf8", errorStack: new Error() } : UTF8,
  );
  client.sendCommand(command);
  return command.promise;
}

/** The server does not know the script (first use on it, a restart, SCRIPT FLUSH): send its body once. */
const isNoScript = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith("NOSCRIPT");

/**
 * Run a script by its SHA, sending the body once when the server does not know it yet; `read` turns
 * its reply into the result. One `then` for both outcomes, not a `catch` and a `then`: every store
 * call runs through here, and each promise step is a microtask more.
 */
export function evalScript<T>(
  client: RedisClient,
  s: Script,
  key: string,
  args: string[],
  read: (reply: unknown) => T,
): Promise<T> {
  return send(client, s, key, args).then(read, (error: unknown) => {
    if (isNoScript(error)) return client.eval(s.lua, 1, key, ...args).then(read);
    throw error;
  });
}

/** What `runScript` settles (a `DeadlineWatch`'s call). */
export interface Settles<T> {
  succeed(value: T): void;
  fail(error: unknown): void;
}

/**
 * `evalScript` that settles `call` instead of returning a promise, for a caller that has a promise
 * of its own to settle: the step from this promise to that one is saved.
 */
export function runScript<T>(
  client: RedisClient,
  s: Script,
  key: string,
  args: string[],
  read: (reply: unknown) => T,
  call: Settles<T>,
): void {
  const answer = (reply: unknown) => {
    let value: T;
    try {
      value = read(reply);
    } catch (error) {
      // As a throw in `evalScript`'s `then` rejects its promise (an app's `now` clock may throw).
      return call.fail(error);
    }
    call.succeed(value);
  };
  send(client, s, key, args).then(answer, (error: unknown) => {
    if (!isNoScript(error)) return call.fail(error);
    client.eval(s.lua, 1, key, ...args).then(answer, (retryError: unknown) => call.fail(retryError));
  });
}
