/** Just enough of nginx's config grammar to read directives back: words, quotes, blocks. */
export interface Directive {
  name: string;
  args: string[];
  block?: Directive[];
}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] ?? '';
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '{' || c === '}' || c === ';') {
      tokens.push(c);
      i++;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      let word = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\') j++;
        word += text[j] ?? '';
        j++;
      }
      if (j >= text.length) throw new Error(`unterminated quote at offset ${i}`);
      tokens.push(word);
      i = j + 1;
    } else {
      let j = i;
      while (j < text.length && !/[\s{};#]/.test(text[j] ?? '')) j++;
      tokens.push(text.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

export function parseNginxConf(text: string): Directive[] {
  const tokens = tokenize(text);
  let pos = 0;
  const parseBlock = (nested: boolean): Directive[] => {
    const out: Directive[] = [];
    while (pos < tokens.length) {
      const name = tokens[pos++] ?? '';
      if (name === '}') {
        if (!nested) throw new Error('unbalanced }');
        return out;
      }
      const args: string[] = [];
      while (pos < tokens.length && tokens[pos] !== ';' && tokens[pos] !== '{')
        args.push(tokens[pos++] ?? '');
      const end = tokens[pos++];
      if (end === '{') out.push({ name, args, block: parseBlock(true) });
      else if (end === ';') out.push({ name, args });
      else throw new Error(`directive ${name} not terminated`);
    }
    if (nested) throw new Error('missing }');
    return out;
  };
  return parseBlock(false);
}

/** Every directive called `name` directly inside `within`. */
export function find(within: readonly Directive[], name: string, firstArg?: string): Directive[] {
  return within.filter(
    (d) => d.name === name && (firstArg === undefined || d.args[0] === firstArg),
  );
}

/** The single directive `name` (throws when absent or repeated, naming it). */
export function one(within: readonly Directive[], name: string, firstArg?: string): Directive {
  const found = find(within, name, firstArg);
  if (found.length !== 1)
    throw new Error(
      `expected one "${name}${firstArg ? ` ${firstArg}` : ''}", found ${found.length}`,
    );
  return found[0] as Directive;
}

/** nginx sizes (`26m`, `512k`, `1g`, bytes) → bytes. */
export function nginxSize(value: string): number {
  const m = /^(\d+)([kKmMgG]?)$/.exec(value);
  if (!m) throw new Error(`not an nginx size: ${value}`);
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

/** nginx/compose durations (`75s`, `1m30s`, `500ms`) → milliseconds. */
export function durationMs(value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    if (/^\d+$/.test(value)) return Number(value) * 1000;
    throw new Error(`not a duration: ${value}`);
  }
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] ?? 's'] ?? 0), 0);
}
