/**
 * A small pflag-like parser: `--name=value`, `--name value`, bare `--bool`, `--bool=false`,
 * `-h`/`-v` shorthands, and `--` ending the flags. Unknown flags are an error naming the flag.
 */

export type FlagType = "string" | "bool" | "int" | "strings";

export interface FlagSpec {
  name: string;
  type: FlagType;
  default: string | boolean | number | string[];
  usage: string;
  short?: string;
}

export type FlagValues = { [name: string]: string | boolean | number | string[] };

export class FlagError extends Error {}

export interface Parsed {
  flags: FlagValues;
  /** Names the user set explicitly. */
  changed: Set<string>;
  args: string[];
}

export function parseFlags(argv: string[], specs: FlagSpec[]): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const flags: FlagValues = {};
  for (const s of specs) flags[s.name] = Array.isArray(s.default) ? [...s.default] : s.default;
  const changed = new Set<string>();
  const args: string[] = [];

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith("--") && a.length > 2) {
      const eq = a.indexOf("=");
      const name = eq === -1 ? a.slice(2) : a.slice(2, eq);
      inline = eq === -1 ? undefined : a.slice(eq + 1);
      spec = byName.get(name);
      if (!spec) throw new FlagError(`unknown flag: --${name}`);
    } else if (a.startsWith("-") && a.length > 1 && a !== "-") {
      const eq = a.indexOf("=");
      const name = eq === -1 ? a.slice(1) : a.slice(1, eq);
      inline = eq === -1 ? undefined : a.slice(eq + 1);
      spec = byShort.get(name);
      if (!spec) throw new FlagError(`unknown shorthand flag: '${name[0]}' in ${a}`);
    } else {
      args.push(a);
      continue;
    }
    let raw: string;
    if (spec.type === "bool") {
      raw = inline ?? "true";
    } else if (inline !== undefined) {
      raw = inline;
    } else {
      if (i + 1 >= argv.length) throw new FlagError(`flag needs an argument: --${spec.name}`);
      raw = argv[++i]!;
    }
    flags[spec.name] = convert(spec, raw, changed.has(spec.name) ? flags[spec.name] : undefined);
    changed.add(spec.name);
  }
  return { flags, changed, args };
}

function convert(spec: FlagSpec, raw: string, prev: unknown): string | boolean | number | string[] {
  switch (spec.type) {
    case "bool": {
      const v = raw.toLowerCase();
      if (["1", "t", "true"].includes(v)) return true;
      if (["0", "f", "false"].includes(v)) return false;
      throw new FlagError(
        `invalid argument "${raw}" for "--${spec.name}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`,
      );
    }
    case "int": {
      if (!/^[+-]?\d+$/.test(raw)) {
        throw new FlagError(
          `invalid argument "${raw}" for "--${spec.name}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`,
        );
      }
      return Number(raw);
    }
    case "strings": {
      const items = raw === "" ? [] : raw.split(",").map((s) => s.trim());
      return Array.isArray(prev) ? [...prev, ...items] : items;
    }
    default:
      return raw;
  }
}

/** Help lines for a flag list, aligned like cobra's. */
export function flagUsages(specs: FlagSpec[]): string {
  const rows = specs.map((s) => {
    const head =
      (s.short ? `-${s.short}, ` : "    ") +
      `--${s.name}` +
      (s.type === "bool" ? "" : ` ${s.type === "strings" ? "strings" : s.type}`);
    const def =
      s.type === "bool"
        ? s.default
          ? " (default true)"
          : ""
        : Array.isArray(s.default)
          ? s.default.length
            ? ` (default [${s.default.join(",")}])`
            : ""
          : s.default !== "" && s.default !== 0
            ? ` (default ${typeof s.default === "string" ? JSON.stringify(s.default) : s.default})`
            : "";
    return [head, s.usage + def] as const;
  });
  const width = Math.max(...rows.map((r) => r[0].length)) + 3;
  return rows.map(([h, u]) => "  " + h.padEnd(width) + u).join("\n");
}
