/** A Dockerfile as instructions grouped by stage (continuations joined, comments dropped). */
export interface Instruction {
  keyword: string;
  /** The rest of the line, continuations joined with a space. */
  rest: string;
  line: number;
}

export interface Stage {
  name?: string;
  base: string;
  instructions: Instruction[];
}

export interface Dockerfile {
  /** ARGs before the first FROM (usable in FROM lines only). */
  globalArgs: Map<string, string | undefined>;
  stages: Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split('\n');
  const instructions: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i] ?? '';
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      const next = lines[i] ?? '';
      if (/^\s*#/.test(next)) continue;
      line = `${line.replace(/\\\s*$/, '')} ${next.trim()}`;
    }
    const m = /^\s*(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`line ${start + 1}: not an instruction: ${line}`);
    instructions.push({
      keyword: (m[1] ?? '').toUpperCase(),
      rest: (m[2] ?? '').trim(),
      line: start + 1,
    });
  }
  const globalArgs = new Map<string, string | undefined>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [base = '', as, name] = ins.rest.replace(/--platform=\S+\s+/, '').split(/\s+/);
      stages.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword !== 'ARG') throw new Error(`line ${ins.line}: ${ins.keyword} before FROM`);
      const [key = '', value] = ins.rest.split('=');
      globalArgs.set(key, value);
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** `COPY [--from=x] [--chown=..] src... dest` → flags, sources, destination. */
export function parseCopy(rest: string): {
  flags: Map<string, string>;
  sources: string[];
  dest: string;
} {
  const words = rest.startsWith('[') ? (JSON.parse(rest) as string[]) : rest.split(/\s+/);
  const flags = new Map<string, string>();
  while (words[0]?.startsWith('--')) {
    const [key = '', value = ''] = (words.shift() ?? '').slice(2).split('=');
    flags.set(key, value);
  }
  const dest = words.pop();
  if (dest === undefined || words.length === 0)
    throw new Error(`COPY needs a source and a destination: ${rest}`);
  return { flags, sources: words, dest };
}

/** The exec-form array of CMD/ENTRYPOINT (shell form is refused: signals would hit /bin/sh). */
export function execForm(rest: string): string[] {
  if (!rest.startsWith('[')) throw new Error(`not exec form: ${rest}`);
  return JSON.parse(rest) as string[];
}

/** `.dockerignore` patterns → a test for a context-relative path (or any of its parents). */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (patterns.some((p) => p.startsWith('!')))
    throw new Error('exceptions (!) are not supported by this check');
  const regexes = patterns.map((p) => {
    const body = p
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .map((seg) =>
        seg === '**'
          ? '(?:.*)'
          : seg
              .replace(/[.+^${}()|[\]\\]/g, '\\$&')
              .replace(/\*/g, '[^/]*')
              .replace(/\?/g, '[^/]'),
      )
      .join('/')
      .replace(/\(\?:\.\*\)\//g, '(?:.*/)?');
    return new RegExp(`^${body}$`);
  });
  return (path) => {
    const segments = path.replace(/^\.\/|\/$/g, '').split('/');
    return segments.some((_, i) => regexes.some((r) => r.test(segments.slice(0, i + 1).join('/'))));
  };
}
