/**
 * Typed, collecting reader over an environment map (docs/DESIGN.md#decision-9). Each getter returns
 * a value (the default, or a placeholder when the variable is bad) and records problems;
 * `done()` throws one ConfigError naming every bad variable. Pure: pass `process.env` in
 * from `main.ts`, a literal object in tests.
 */
export type Env = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  name: string;
  message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: readonly ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  ${p.name}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

interface IntBounds {
  min?: number;
  max?: number;
}
interface UrlRule {
  /** e.g. ['redis:', 'rediss:']; @default any */
  protocols?: readonly string[];
}
interface ListRule {
  /** @default ',' */
  separator?: string;
}

/** `{ default }` → always a value; `{ optional: true }` → may be undefined; neither → required. */
type Getter<T, R> = {
  (name: string, opts: R & { default: T }): T;
  (name: string, opts: R & { optional: true }): T | undefined;
  (name: string, opts?: R): T;
};

export interface EnvReader {
  str: Getter<string, object>;
  int: Getter<number, IntBounds>;
  bool: Getter<boolean, object>;
  url: Getter<string, UrlRule>;
  list: Getter<string[], ListRule>;
  /** `250ms`, `15s`, `5m`, `2h`, `1d`, or a bare integer of milliseconds → milliseconds. */
  duration: Getter<number, IntBounds>;
  oneOf<const V extends string>(name: string, values: readonly V[], opts?: { default?: V }): V;
  /** Record a problem found by a cross-variable rule (e.g. "A must be below B"). */
  problem(name: string, message: string): void;
  /** Throws ConfigError listing every problem recorded so far. */
  done(): void;
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);
const DURATION = /^(\d+)\s*(ms|s|m|h|d)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function createEnvReader(env: Env): EnvReader {
  const problems: ConfigProblem[] = [];
  const problem = (name: string, message: string): void => {
    problems.push({ name, message });
  };

  /** Shared missing/default handling; `parse` returns the value or an error message. */
  function read<T>(
    name: string,
    opts: { default?: T; optional?: boolean } | undefined,
    placeholder: T,
    parse: (raw: string) => { value: T } | { error: string },
  ): T | undefined {
    const raw = env[name]?.trim();
    // An empty variable (`FOO=`) counts as unset, as in most .env tooling.
    if (raw === undefined || raw === '') {
      if (opts?.default !== undefined) return opts.default;
      if (opts?.optional === true) return undefined;
      problem(name, 'is required');
      return placeholder;
    }
    const parsed = parse(raw);
    if ('error' in parsed) {
      problem(
        name,
        `${parsed.error} (got ${JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw)})`,
      );
      return opts?.default ?? placeholder;
    }
    return parsed.value;
  }

  const bounded = (n: number, b: IntBounds | undefined): { value: number } | { error: string } => {
    if (b?.min !== undefined && n < b.min) return { error: `must be ≥ ${b.min}` };
    if (b?.max !== undefined && n > b.max) return { error: `must be ≤ ${b.max}` };
    return { value: n };
  };

  const str = ((name: string, opts?: { default?: string; optional?: boolean }) =>
    read(name, opts, '', (raw) => ({ value: raw }))) as EnvReader['str'];

  const int = ((name: string, opts?: IntBounds & { default?: number; optional?: boolean }) =>
    read(name, opts, opts?.min ?? 0, (raw) => {
      if (!/^-?\d+$/.test(raw)) return { error: 'must be an integer' };
      const n = Number(raw);
      return Number.isSafeInteger(n) ? bounded(n, opts) : { error: 'is out of range' };
    })) as EnvReader['int'];

  const bool = ((name: string, opts?: { default?: boolean; optional?: boolean }) =>
    read(name, opts, false, (raw) => {
      const v = raw.toLowerCase();
      if (TRUE.has(v)) return { value: true };
      if (FALSE.has(v)) return { value: false };
      return { error: 'must be true/false (1/0, yes/no, on/off)' };
    })) as EnvReader['bool'];

  const url = ((name: string, opts?: UrlRule & { default?: string; optional?: boolean }) =>
    read(name, opts, '', (raw) => {
      let parsed: URL;
      try {
        parsed = new URL(raw);
      } catch {
        return { error: 'must be an absolute URL' };
      }
      if (opts?.protocols !== undefined && !opts.protocols.includes(parsed.protocol)) {
        return { error: `must use ${opts.protocols.join(' or ')}` };
      }
      return { value: raw };
    })) as EnvReader['url'];

  const list = ((name: string, opts?: ListRule & { default?: string[]; optional?: boolean }) =>
    read<string[]>(name, opts, [], (raw) => ({
      value: raw
        .split(opts?.separator ?? ',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    }))) as EnvReader['list'];

  const duration = ((name: string, opts?: IntBounds & { default?: number; optional?: boolean }) =>
    read(name, opts, opts?.min ?? 0, (raw) => {
      const m = DURATION.exec(raw.toLowerCase());
      if (m === null) return { error: 'must be a duration like 250ms, 15s, 5m, 2h, 1d' };
      const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1);
      return Number.isSafeInteger(ms) ? bounded(ms, opts) : { error: 'is out of range' };
    })) as EnvReader['duration'];

  function oneOf<const V extends string>(
    name: string,
    values: readonly V[],
    opts?: { default?: V },
  ): V {
    const fallback = opts?.default ?? values[0];
    if (fallback === undefined) throw new TypeError('oneOf needs at least one value');
    return (
      read<V>(name, opts, fallback, (raw) =>
        (values as readonly string[]).includes(raw)
          ? { value: raw as V }
          : { error: `must be one of ${values.join(', ')}` },
      ) ?? fallback
    );
  }

  return {
    str,
    int,
    bool,
    url,
    list,
    duration,
    oneOf,
    problem,
    done() {
      if (problems.length > 0) throw new ConfigError([...problems]);
    },
  };
}
