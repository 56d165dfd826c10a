/**
 * Private servers for store tests: each test file starts its own redis-server / memcached / postgres
 * on spare 127.0.0.1 ports (never the shared 6379/5432 ones, which other suites use), can pause
 * (SIGSTOP), resume (SIGCONT), stop and restart them, and stops everything in `afterAll`.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * A free TCP port on 127.0.0.1, picked at random below the kernel's ephemeral range (32768+): a
 * server we stop and restart keeps its port, and an outgoing connection can never grab it meanwhile.
 * With `alsoFree`, port + alsoFree is free too (the cluster bus), also below 32768.
 */
export async function freePort(alsoFree = 0): Promise<number> {
  const high = 32_767 - alsoFree;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * (high - 20_000));
    if (!(await portIsFree(port))) continue;
    if (alsoFree === 0 || (await portIsFree(port + alsoFree))) return port;
  }
  throw new Error("no free port found in 20000-32767");
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** Resolve once something accepts TCP connections on the port (bounded). */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`nothing listening on 127.0.0.1:${port} after ${timeoutMs} ms`);
}

/** One child server process that a test can pause, resume, stop and start again on the same port. */
export class ManagedServer {
  private child: ChildProcess | null = null;
  private paused = false;

  constructor(
    readonly label: string,
    readonly port: number,
    private readonly command: string,
    private readonly args: readonly string[],
    private readonly ready: () => Promise<void> = () => waitForPort(port),
    private readonly extra: { uid?: number; gid?: number; stopSignal?: NodeJS.Signals } = {},
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.child) return;
    const ids =
      this.extra.uid === undefined ? {} : { uid: this.extra.uid, gid: this.extra.gid ?? this.extra.uid };
    const child = spawn(this.command, [...this.args], { stdio: ["ignore", "ignore", "pipe"], ...ids });
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once("exit", () => {
      if (this.child === child) this.child = null;
    });
    this.child = child;
    const exited = new Promise<never>((_, reject) =>
      child.once("exit", (code) => reject(new Error(`${this.label} exited with ${code}: ${stderr}`))),
    );
    exited.catch(() => undefined);
    try {
      await Promise.race([this.ready(), exited]);
      // Someone else may hold the port (the ready check then talks to them): ours would exit now.
      await Promise.race([sleep(100), exited]);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /**
   * SIGSTOP the server and every process it forked (postgres backends run in their own sessions):
   * the sockets stay open but nothing answers — the "slow server".
   */
  async pause(): Promise<void> {
    if (this.child?.pid === undefined) throw new Error(`${this.label} is not running`);
    const pids = await processTree(this.child.pid);
    for (const pid of pids) signal(pid, "SIGSTOP");
    // kill() returns before the threads have stopped: a request sent at once could still be answered
    // (memcached once was), so wait until every thread of every process reports the stopped state.
    for (const pid of pids) await untilStopped(pid);
    this.paused = true;
  }

  async resume(): Promise<void> {
    if (this.child?.pid === undefined) throw new Error(`${this.label} is not running`);
    for (const pid of await processTree(this.child.pid)) signal(pid, "SIGCONT");
    this.paused = false;
  }

  /** The server's clean shutdown signal (SIGTERM, or SIGINT for postgres), waiting for the exit; SIGKILL after 10 s. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) {
      this.child = null;
      return;
    }
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    if (this.paused) await this.resume();
    child.kill(this.extra.stopSignal ?? "SIGTERM");
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killer);
    this.child = null;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Exited meanwhile.
  }
}

/** Resolves once every thread of `pid` is stopped (state T in /proc), or the process is gone. */
async function untilStopped(pid: number): Promise<void> {
  for (;;) {
    let states: string[];
    try {
      const threads = await readdir(`/proc/${pid}/task`);
      states = await Promise.all(
        threads.map(async (tid) => {
          const stat = await readFile(`/proc/${pid}/task/${tid}/stat`, "utf8");
          // The state follows the command name, which is in parentheses and may itself hold spaces.
          return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
        }),
      );
    } catch {
      return; // exited meanwhile
    }
    if (states.every((state) => state === "T" || state === "t")) return;
    await sleep(5);
  }
}

/** `root` and all its descendants, parents first. */
async function processTree(root: number): Promise<number[]> {
  const { stdout } = await run("ps", ["-e", "-o", "pid=,ppid="]);
  const children = new Map<number, number[]>();
  for (const line of stdout.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined || Number.isNaN(pid)) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0 && tree.length < 1000) {
    const pid = queue.shift() as number;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** A temp directory removed by `cleanup`. */
export async function tempDir(label: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `satchel-${label}-`));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** A private redis-server with AOF persistence in a temp dir, so its data survives stop + start. */
export async function startRedis(
  extraArgs: readonly string[] = [],
): Promise<{ server: ManagedServer; url: string; dir: string; cleanup: () => Promise<void> }> {
  const dir = await tempDir("redis");
  const port = await freePort();
  const server = new ManagedServer(
    "redis-server",
    port,
    "redis-server",
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--dir",
      dir.path,
      "--save",
      "",
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--protected-mode",
      "no",
      ...extraArgs,
    ],
    () => waitForRedis(port),
  );
  await server.start();
  return {
    server,
    url: `redis://127.0.0.1:${port}`,
    dir: dir.path,
    cleanup: async () => {
      await server.stop();
      await dir.cleanup();
    },
  };
}

async function waitForRedis(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reply = await run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), "ping"]).catch(() => null);
    if (reply?.stdout.trim() === "PONG") return;
    await sleep(50);
  }
  throw new Error(`redis on ${port} not ready after ${timeoutMs} ms`);
}

/** A private memcached (`memcached -l 127.0.0.1 -p PORT -U 0 -u root`). */
export async function startMemcached(): Promise<{
  server: ManagedServer;
  url: string;
  cleanup: () => Promise<void>;
}> {
  const port = await freePort();
  const server = new ManagedServer("memcached", port, "memcached", [
    "-l",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    "0",
    "-u",
    "root",
    "-m",
    "64",
  ]);
  await server.start();
  return { server, url: `memcached://127.0.0.1:${port}`, cleanup: () => server.stop() };
}

/** A 3-master Redis Cluster on spare ports; `cleanup` stops the nodes and removes their files. */
export async function startRedisCluster(): Promise<{
  nodes: ManagedServer[];
  ports: number[];
  cleanup: () => Promise<void>;
}> {
  const dir = await tempDir("cluster");
  const nodes: ManagedServer[] = [];
  const cleanup = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await dir.cleanup();
  };
  try {
    for (let i = 0; i < 3; i++) {
      const port = await freePort(10_000);
      const node = new ManagedServer(
        `redis-cluster-${i}`,
        port,
        "redis-server",
        [
          "--port",
          String(port),
          "--bind",
          "127.0.0.1",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          join(dir.path, `nodes-${port}.conf`),
          "--cluster-node-timeout",
          "3000",
          "--dir",
          dir.path,
          "--dbfilename",
          `dump-${port}.rdb`,
          "--save",
          "",
          "--appendonly",
          "no",
          "--protected-mode",
          "no",
        ],
        () => waitForRedis(port),
      );
      nodes.push(node);
      await node.start();
    }
    const ports = nodes.map((node) => node.port);
    await run(
      "redis-cli",
      [
        "--cluster",
        "create",
        ...ports.map((p) => `127.0.0.1:${p}`),
        "--cluster-replicas",
        "0",
        "--cluster-yes",
      ],
      { timeout: 30_000 },
    );
    const deadline = Date.now() + 30_000;
    for (const port of ports) {
      for (;;) {
        const info = await run("redis-cli", ["-p", String(port), "cluster", "info"]).catch(() => null);
        if (info?.stdout.includes("cluster_state:ok")) break;
        if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok after 30 s`);
        await sleep(100);
      }
    }
    return { nodes, ports, cleanup };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

/**
 * A private PostgreSQL cluster (initdb into a temp dir, run as the `postgres` user, trust auth) on a
 * spare port. Stopped with SIGINT (fast shutdown: a clean checkpoint, so data survives a restart).
 */
export async function startPostgres(): Promise<{
  server: ManagedServer;
  url: string;
  cleanup: () => Promise<void>;
}> {
  const dir = await tempDir("postgres");
  const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
  const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
  await run("chown", ["-R", `${uid}:${gid}`, dir.path]);
  const data = join(dir.path, "data");
  // Debian keeps initdb/postgres off PATH (in pg_config --bindir); some images link them into PATH.
  const bindir = (await run("pg_config", ["--bindir"]).catch(() => ({ stdout: "" }))).stdout.trim();
  const bin = (name: string) => (bindir ? join(bindir, name) : name);
  await run(
    "runuser",
    ["-u", "postgres", "--", bin("initdb"), "-D", data, "-A", "trust", "-U", "postgres", "-N"],
    {
      timeout: 60_000,
    },
  );
  const port = await freePort();
  const server = new ManagedServer(
    "postgres",
    port,
    bin("postgres"),
    ["-D", data, "-p", String(port), "-k", dir.path, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    async () => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ok = await run("pg_isready", ["-h", "127.0.0.1", "-p", String(port)]).then(
          () => true,
          () => false,
        );
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`postgres on ${port} not ready after 30 s`);
        await sleep(100);
      }
    },
    { uid, gid, stopSignal: "SIGINT" },
  );
  await server.start();
  return {
    server,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    cleanup: async () => {
      await server.stop();
      await dir.cleanup();
    },
  };
}
