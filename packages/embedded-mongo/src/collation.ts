/**
 * Collation (MongoDB's ICU string comparison) for what Intl.Collator can reproduce: a locale
 * and a strength of 1 (base letters), 2 (plus accents) or 3 (plus case, the default), with
 * optional numericOrdering. Every other option value, and operators whose string comparison we
 * cannot collate, answer a MongoDB-shaped error instead of a silently binary answer.
 */
import { compareValues, isPlainObject, pathValues, type Doc } from './bson-values.js';
import { badValue, CommandError, notImplemented } from './errors.js';

export interface Collation {
  /** BSON order, with strings compared by the collator (also inside arrays and documents). */
  compare(a: unknown, b: unknown): number;
}

const SENSITIVITY: Record<number, 'base' | 'accent' | 'variant'> = {
  1: 'base',
  2: 'accent',
  3: 'variant',
};

/** Option values that change nothing here (MongoDB's defaults); anything else is refused. */
const DEFAULTS: Record<string, unknown> = {
  caseLevel: false,
  caseFirst: 'off',
  alternate: 'non-ignorable',
  maxVariable: 'punct',
  normalization: false,
  backwards: false,
};

/** Undefined for no collation or the `simple` (binary) one. */
export function parseCollation(raw: unknown): Collation | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isPlainObject(raw))
    throw new CommandError(14, 'TypeMismatch', "BSON field 'collation' must be an object");
  for (const field of Object.keys(raw)) {
    if (field in DEFAULTS || ['locale', 'strength', 'numericOrdering', 'version'].includes(field))
      continue;
    throw new CommandError(
      40415,
      'Location40415',
      `BSON field 'collation.${field}' is an unknown field.`,
    );
  }
  const locale = raw.locale;
  if (typeof locale !== 'string')
    throw new CommandError(
      40414,
      'Location40414',
      "BSON field 'collation.locale' is missing but a required field",
    );
  if (locale === 'simple') return undefined;
  const tag = locale.replace(/_/g, '-');
  let supported: string[];
  try {
    supported = Intl.Collator.supportedLocalesOf(tag);
  } catch {
    supported = [];
  }
  if (supported.length === 0)
    throw badValue(`Field 'locale' is invalid in: { locale: "${locale}" }`);
  const strength = raw.strength ?? 3;
  if (typeof strength !== 'number' || !Number.isInteger(strength) || strength < 1 || strength > 5)
    throw badValue(`strength must be an integer 1 through 5, found: ${String(strength)}`);
  if (strength > 3)
    throw notImplemented(
      `collation strength ${strength} is not supported by the embedded server (1 to 3 are)`,
    );
  for (const [field, value] of Object.entries(DEFAULTS)) {
    if (raw[field] !== undefined && raw[field] !== value)
      throw notImplemented(
        `collation ${field}: ${JSON.stringify(raw[field])} is not supported by the embedded server`,
      );
  }
  const collator = new Intl.Collator(tag, {
    sensitivity: SENSITIVITY[strength],
    numeric: raw.numericOrdering === true,
    usage: 'sort',
  });
  const compare = (a: unknown, b: unknown): number => {
    if (typeof a === 'string' && typeof b === 'string') return Math.sign(collator.compare(a, b));
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.min(a.length, b.length); i++) {
        const c = compare(a[i], b[i]);
        if (c !== 0) return c;
      }
      return Math.sign(a.length - b.length);
    }
    if (isPlainObject(a) && isPlainObject(b)) {
      const ka = Object.keys(a);
      const kb = Object.keys(b);
      for (let i = 0; i < Math.min(ka.length, kb.length); i++) {
        const names = compareValues(ka[i], kb[i]);
        if (names !== 0) return names;
        const c = compare(a[ka[i] as string], b[kb[i] as string]);
        if (c !== 0) return c;
      }
      return Math.sign(ka.length - kb.length);
    }
    return compareValues(a, b);
  };
  return { compare };
}

/** Does any string occur in this operand (so the collation would matter)? */
function hasString(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (Array.isArray(v)) return v.some(hasString);
  if (isPlainObject(v)) return Object.values(v).some(hasString);
  return false;
}

/** A value's broad BSON type, for MongoDB's rule that comparisons only match within a type. */
const bracket = (v: unknown): string =>
  typeof v === 'string'
    ? 'string'
    : Array.isArray(v)
      ? 'array'
      : isPlainObject(v)
        ? 'object'
        : typeof v;

/**
 * A matcher for `filter` under a collation. Comparisons ($eq, $ne, $gt, $gte, $lt, $lte,
 * $in, $nin and implicit equality) of strings use the collation; conditions with no string
 * operand go to `fallback` (the ordinary matcher); any other operator on a string (regex,
 * $expr, $elemMatch...) is refused with NotImplemented.
 */
export function compileCollatedFilter(
  filter: Doc | undefined,
  collation: Collation,
  fallback: (filter: Doc) => (doc: Doc) => boolean,
): (doc: Doc) => boolean {
  if (!filter || Object.keys(filter).length === 0) return () => true;
  const tests: Array<(doc: Doc) => boolean> = [];
  for (const [key, cond] of Object.entries(filter)) {
    if (key === '$comment') continue;
    if (key === '$and' || key === '$or' || key === '$nor') {
      const subs = (cond as Doc[]).map((c) => compileCollatedFilter(c, collation, fallback));
      if (key === '$and') tests.push((d) => subs.every((s) => s(d)));
      else if (key === '$or') tests.push((d) => subs.some((s) => s(d)));
      else tests.push((d) => !subs.some((s) => s(d)));
      continue;
    }
    if (!hasString(cond)) {
      tests.push(fallback({ [key]: cond }));
      continue;
    }
    if (key.startsWith('$'))
      throw notImplemented(`${key} with a collation is not supported by the embedded server`);
    tests.push(fieldTest(key, cond, collation, fallback));
  }
  return (doc) => tests.every((t) => t(doc));
}

function fieldTest(
  path: string,
  cond: unknown,
  collation: Collation,
  fallback: (filter: Doc) => (doc: Doc) => boolean,
): (doc: Doc) => boolean {
  const parts = path.split('.');
  const isOps = isPlainObject(cond) && Object.keys(cond).some((k) => k.startsWith('$'));
  const ops: Array<[string, unknown]> = isOps ? Object.entries(cond) : [['$eq', cond]];
  const eq = (values: unknown[], x: unknown): boolean =>
    values.some((v) => bracket(v) === bracket(x) && collation.compare(v, x) === 0) ||
    (x === null && values.length === 0);
  const checks = ops.map(([op, arg]): ((values: unknown[], doc: Doc) => boolean) => {
    const cmp = (want: (c: number) => boolean) => (values: unknown[]) =>
      values.some((v) => bracket(v) === bracket(arg) && want(collation.compare(v, arg)));
    switch (op) {
      case '$eq':
        return (values) => eq(values, arg);
      case '$ne':
        return (values) => !eq(values, arg);
      case '$in':
        return (values) => (arg as unknown[]).some((x) => eq(values, x));
      case '$nin':
        return (values) => !(arg as unknown[]).some((x) => eq(values, x));
      case '$gt':
        return cmp((c) => c > 0);
      case '$gte':
        return cmp((c) => c >= 0);
      case '$lt':
        return cmp((c) => c < 0);
      case '$lte':
        return cmp((c) => c <= 0);
      default: {
        if (hasString(arg))
          throw notImplemented(`${op} with a collation is not supported by the embedded server`);
        const other = fallback({ [path]: { [op]: arg } });
        return (_values, doc) => other(doc);
      }
    }
  });
  return (doc) => {
    const values = pathValues(doc, parts);
    return checks.every((check) => check(values, doc));
  };
}
