/**
 * The state one benchmark run shares between scenarios: the pb process, the superuser API client,
 * tokens and ids, the client modes, and the rows printed so far.
 */
import type { Api } from "./api.ts";
import { encodeRequest, runLoad, type HttpRequest } from "./http_client.ts";
import { cpuSeconds, HOST, rssSampler, type ServerProc } from "./proc.ts";
import type { Profile } from "./profiles.ts";
import { consoleHeader, consoleLine, noteRow, toRow, type Mode, type Row } from "./report.ts";

export interface LoadSpec {
  section: string;
  name: string;
  /** One request per index (`requests[i % length]`), encoded for each mode before the timed run. */
  requests: HttpRequest[];
  total: number;
  conc: number;
  mode: Mode;
  /** Defaults to pb; the floor and the native-route server pass theirs. */
  server?: ServerProc;
  note?: string;
  /** false = run but keep out of the results (seeding). */
  record?: boolean;
  /** false = leave the server CPU column empty (a load that runs alongside another one). */
  measureCpu?: boolean;
  /** false = the server does not use pb's database (the floor): its CPU excludes the database server's. */
  usesDb?: boolean;
}

/** The storage pb's data set lives in for one pass of the benchmark. */
export interface Engine {
  /** "SQLite" or "PostgreSQL": labels the pass's sections. */
  name: string;
  /** The data set's `--db=` URL; "" for SQLite files in the pb_data folder. */
  dbUrl: string;
  /** An empty database for a server that starts from nothing (startup's cold runs); null on SQLite. */
  freshDatabase: (() => Promise<string>) | null;
  /**
   * CPU seconds the database server's processes used so far (PostgreSQL's own processes; null when
   * they cannot be read): a load's server CPU counts them, as SQLite's work runs inside pb.
   */
  dbCpuSeconds: (() => number) | null;
}

export const SQLITE: Engine = { name: "SQLite", dbUrl: "", freshDatabase: null, dbCpuSeconds: null };

export interface Extra {
  /** Markdown blocks appended after the tables (ratios, startup, machine). */
  markdown: string[];
}

export class Bench {
  readonly rows: Row[] = [];
  readonly extra: Extra = { markdown: [] };
  /** Filled by create (or the seed): a user token, that user's id, and ids to pick relations from. */
  userToken = "";
  userId = "";
  userEmail = "";
  orgIds: string[] = [];
  permIds: string[] = [];
  userIds: string[] = [];
  private lastSection = "";

  constructor(
    readonly profile: Profile,
    readonly modes: Mode[],
    readonly pb: ServerProc,
    readonly api: Api,
    readonly dataDir: string,
    readonly workDir: string,
    /** The pb binary under test (the custom scenario starts a second one with pb_hooks). */
    readonly binary: string,
    readonly print: (line: string) => void,
    readonly engine: Engine = SQLITE,
    /** Printed after each section's name when two engines run ("" = one engine, nothing added). */
    private readonly sectionSuffix = "",
  ) {}

  /** The `--db=` argument every pb process on this data set needs (none on SQLite). */
  get dbArgs(): string[] {
    return this.engine.dbUrl ? [`--db=${this.engine.dbUrl}`] : [];
  }

  /** The mode that fills the real collections and runs the one-mode scenarios. */
  get primary(): Mode {
    return this.modes[0]!;
  }

  /** Modes a scenario runs in: all of them, or only the primary for slow, DB- or bcrypt-bound ones. */
  modesFor(kind: "all" | "primary"): Mode[] {
    return kind === "all" ? this.modes : [this.primary];
  }

  async cooldown(): Promise<void> {
    if (this.profile.cooldownMs > 0) await Bun.sleep(this.profile.cooldownMs);
  }

  /** Runs one load and records (and prints) its row. */
  async load(s: LoadSpec): Promise<Row> {
    if (!s.total || !s.requests.length) {
      const row = noteRow(s.section, s.name, "skipped: nothing to send");
      if (s.record !== false) this.add(row);
      return row;
    }
    const server = s.server ?? this.pb;
    const keepAlive = s.mode === "keepalive";
    const host = `${HOST}:${server.port}`;
    const encoded = s.requests.map((r) => encodeRequest(host, r, keepAlive));
    const sampler = rssSampler(server.pid);
    const dbCpu = s.usesDb === false ? null : this.engine.dbCpuSeconds;
    const cpu0 = cpuSeconds(server.pid) + (dbCpu?.() ?? 0);
    const res = await runLoad({
      hostname: HOST,
      port: server.port,
      requests: encoded,
      total: s.total,
      concurrency: s.conc,
      keepAlive,
    });
    const cpu = cpuSeconds(server.pid) + (dbCpu?.() ?? 0) - cpu0;
    const peakRss = sampler.stop();
    const row = toRow(res, {
      section: s.section,
      name: s.name,
      mode: s.mode,
      conc: s.conc,
      peakRss,
      cpuSeconds: s.measureCpu === false ? undefined : cpu,
      note: s.note,
    });
    if (s.record !== false) this.add(row);
    return row;
  }

  add(row: Row): void {
    this.rows.push(row);
    if (row.section !== this.lastSection) {
      this.lastSection = row.section;
      this.print(`\n== ${row.section}${this.sectionSuffix}`);
      this.print(consoleHeader());
    }
    this.print(consoleLine(row));
  }
}

/** `{"Authorization": token}` or nothing. */
export const auth = (token: string): { [k: string]: string } => (token ? { Authorization: token } : {});
export const JSON_HEADERS = { "Content-Type": "application/json" };
