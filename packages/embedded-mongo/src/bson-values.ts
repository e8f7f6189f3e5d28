import { Binary, ObjectId, type Timestamp } from 'bson';

/** A stored or received BSON document after deserialization. */
export type Doc = Record<string, unknown>;

const bsonType = (v: object): string | undefined => {
  const t = (v as { _bsontype?: unknown })._bsontype;
  return typeof t === 'string' ? t : undefined;
};

export function isPlainObject(v: unknown): v is Doc {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Numeric value of Int32/Long/Double/Decimal128 wrappers and JS numbers; undefined for non-numbers. */
export function numericValue(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'object' || v === null) return undefined;
  switch (bsonType(v)) {
    case 'Int32':
    case 'Double':
      return (v as { value: number }).value;
    case 'Long':
      return (v as { toNumber(): number }).toNumber();
    case 'Decimal128':
      return Number((v as { toString(): string }).toString());
    default:
      return undefined;
  }
}

/** MongoDB's canonical type bracket order for comparisons and sorting. */
export function typeRank(v: unknown): number {
  if (v === undefined || v === null) return 2;
  if (typeof v === 'number' || typeof v === 'bigint') return 3;
  if (typeof v === 'string') return 4;
  if (typeof v === 'boolean') return 9;
  if (Array.isArray(v)) return 6;
  if (v instanceof Date) return 10;
  if (v instanceof RegExp) return 12;
  if (typeof v !== 'object') return 5;
  switch (bsonType(v)) {
    case 'MinKey':
      return 1;
    case 'MaxKey':
      return 100;
    case 'Int32':
    case 'Double':
    case 'Long':
    case 'Decimal128':
      return 3;
    case 'BSONSymbol':
      return 4;
    case 'Binary':
      return 7;
    case 'ObjectId':
      return 8;
    case 'Timestamp':
      return 11;
    case 'BSONRegExp':
      return 12;
    default:
      return ArrayBuffer.isView(v) ? 7 : 5;
  }
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

const cmp = <T extends string | number>(a: T, b: T): number => (a < b ? -1 : a > b ? 1 : 0);

/** Total order over BSON values as MongoDB defines it (arrays compared element-wise, as in sort keys of embedded arrays). */
export function compareValues(a: unknown, b: unknown): number {
  const ra = typeRank(a);
  const rb = typeRank(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case 3:
      return cmp(numericValue(a) ?? 0, numericValue(b) ?? 0);
    case 4:
      return cmp(String(a), String(b));
    case 9:
      return cmp(Number(a), Number(b));
    case 10:
      return cmp((a as Date).getTime(), (b as Date).getTime());
    case 8:
      return compareBytes((a as ObjectId).id, (b as ObjectId).id);
    case 7: {
      const ba = a instanceof Binary ? a.value() : (a as Uint8Array);
      const bb = b instanceof Binary ? b.value() : (b as Uint8Array);
      return compareBytes(ba, bb);
    }
    case 11:
      return (a as Timestamp).compare(b as Timestamp);
    case 12:
      return cmp(String(a), String(b));
    case 6: {
      const xa = a as unknown[];
      const xb = b as unknown[];
      for (let i = 0; i < Math.min(xa.length, xb.length); i++) {
        const c = compareValues(xa[i], xb[i]);
        if (c !== 0) return c;
      }
      return cmp(xa.length, xb.length);
    }
    case 5: {
      const ea = Object.entries(a as Doc);
      const eb = Object.entries(b as Doc);
      for (let i = 0; i < Math.min(ea.length, eb.length); i++) {
        const [ka, va] = ea[i] as [string, unknown];
        const [kb, vb] = eb[i] as [string, unknown];
        const c = compareValues(va, vb) || cmp(ka, kb);
        if (c !== 0) return c;
      }
      return cmp(ea.length, eb.length);
    }
    default:
      return 0;
  }
}

/**
 * A canonical string for equality semantics: two values have the same key exactly when MongoDB
 * considers them equal (1 == 1.0 == Long(1); field order matters in embedded documents).
 */
export function keyOf(v: unknown): string {
  if (v === undefined || v === null) return 'N';
  switch (typeof v) {
    case 'string':
      return 's' + JSON.stringify(v);
    case 'number':
      return 'n' + String(v === 0 ? 0 : v);
    case 'boolean':
      return v ? 'b1' : 'b0';
    case 'bigint':
      return 'n' + String(Number(v));
    default:
      break;
  }
  // ObjectIds first: the most common keyed value (_id and most references).
  if ((v as { _bsontype?: unknown })._bsontype === 'ObjectId')
    return 'o' + (v as ObjectId).toHexString();
  if (Array.isArray(v)) return '[' + v.map(keyOf).join(',') + ']';
  if (v instanceof Date) return 'd' + String(v.getTime());
  if (v instanceof RegExp) return 'r' + String(v);
  if (typeof v !== 'object') return 'u' + String(v);
  const num = numericValue(v);
  if (num !== undefined) return 'n' + String(num === 0 ? 0 : num);
  switch (bsonType(v)) {
    case 'ObjectId':
      return 'o' + (v as ObjectId).toHexString();
    case 'Binary':
      return 'x' + String((v as Binary).sub_type) + (v as Binary).toString('base64');
    case 'MinKey':
      return 'm-';
    case 'MaxKey':
      return 'm+';
    case undefined:
      break;
    default:
      return 'z' + String(bsonType(v)) + JSON.stringify(v);
  }
  return (
    '{' +
    Object.entries(v as Doc)
      .map(([k, x]) => JSON.stringify(k) + ':' + keyOf(x))
      .join(',') +
    '}'
  );
}

/**
 * `keyOf(a) === keyOf(b)` without building both strings: documents and arrays are compared part
 * by part, and parts that are the very same object (shared by copy-on-write updates) are equal
 * without looking inside.
 */
export function sameKey(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  // The common scalar pairs, without building their keys.
  if (typeof a === 'string' || typeof b === 'string') return false; // a === b handled equal strings
  if (typeof a === 'number' && typeof b === 'number') return Number.isNaN(a) && Number.isNaN(b);
  if (a instanceof Date && b instanceof Date) return Object.is(a.getTime(), b.getTime()); // NaN: invalid dates
  if (
    (a as { _bsontype?: unknown } | null)?._bsontype === 'ObjectId' &&
    (b as { _bsontype?: unknown } | null)?._bsontype === 'ObjectId'
  )
    return (a as ObjectId).equals(b as ObjectId);
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameKey(a[i], b[i])) return false;
    return true;
  }
  // keyOf reads a `_bsontype` field as a BSON value's tag: leave such objects to it.
  if (
    isPlainObject(a) &&
    isPlainObject(b) &&
    a._bsontype === undefined &&
    b._bsontype === undefined
  ) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    if (ka.length !== kb.length) return false;
    for (let i = 0; i < ka.length; i++) {
      const k = ka[i] as string;
      if (k !== kb[i] || !sameKey(a[k], b[k])) return false;
    }
    return true;
  }
  return keyOf(a) === keyOf(b);
}

/**
 * Every value reachable along a dotted path, descending into arrays like MongoDB does
 * (terminal arrays contribute their elements, as for multikey indexes).
 */
export function pathValues(
  value: unknown,
  parts: readonly string[],
  out: unknown[] = [],
): unknown[] {
  if (parts.length === 0) {
    if (Array.isArray(value)) {
      if (value.length === 0) out.push(undefined);
      else for (const el of value) out.push(el);
    } else out.push(value);
    return out;
  }
  const [head, ...rest] = parts as [string, ...string[]];
  if (Array.isArray(value)) {
    if (/^\d+$/.test(head)) pathValues(value[Number(head)], rest, out);
    for (const el of value) if (isPlainObject(el)) pathValues(el, parts, out);
    return out;
  }
  if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, head)) {
    pathValues(value[head], rest, out);
  }
  return out;
}

/** The single value at a dotted path without array expansion (undefined when missing). */
export function getPath(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const part of path.split('.')) {
    if (Array.isArray(cur) && /^\d+$/.test(part)) cur = cur[Number(part)];
    else if (isPlainObject(cur)) cur = cur[part];
    else return undefined;
  }
  return cur;
}

/** Sets a dotted path, creating embedded documents as needed (used to build upserted documents). */
export function setPath(doc: Doc, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur: Doc = doc;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i] as string;
    const next = cur[p];
    if (isPlainObject(next)) cur = next;
    else {
      const created: Doc = {};
      cur[p] = created;
      cur = created;
    }
  }
  cur[parts[parts.length - 1] as string] = value;
}

/**
 * Deep copy of plain objects, arrays and Dates. BSON value classes are immutable in practice and
 * are shared, which keeps ObjectId/Binary instances intact (structuredClone would strip their class).
 */
export function cloneDoc<T>(v: T): T {
  if (Array.isArray(v)) return v.map((x: unknown) => cloneDoc(x)) as T;
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (isPlainObject(v)) {
    const out: Doc = {};
    for (const [k, x] of Object.entries(v)) out[k] = cloneDoc(x);
    return out as T;
  }
  return v;
}

/** Returns the document with `_id` as its first field, as MongoDB stores it. */
export function idFirst(doc: Doc): Doc {
  if (Object.keys(doc)[0] === '_id') return doc;
  const { _id, ...rest } = doc;
  return { _id, ...rest };
}

/** Renders a value the way MongoDB prints keys in E11000 messages: `{ email: "a@b.c" }`. */
export function renderValue(v: unknown): string {
  if (v === undefined || v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Date) return `new Date(${v.getTime()})`;
  if (v instanceof ObjectId) return `ObjectId('${v.toHexString()}')`;
  if (Array.isArray(v)) return '[ ' + v.map(renderValue).join(', ') + ' ]';
  if (isPlainObject(v)) return renderDoc(v);
  return String(v);
}

export const renderDoc = (d: Doc): string =>
  '{ ' +
  Object.entries(d)
    .map(([k, v]) => `${k}: ${renderValue(v)}`)
    .join(', ') +
  ' }';
