interface WebCryptoSubset {
  randomUUID?: () => string;
  getRandomValues?: (array: Uint8Array) => Uint8Array;
}

/** A fresh idempotency key for `message:send` / POST messages (docs/PROTOCOL.md#section-3: 1–64 chars). */
export function newClientMsgId(): string {
  // crypto.randomUUID is global in Node ≥ 19 and in browsers (secure contexts only);
  // the fallback keeps plain-http dev pages working.
  // Structural type: the package build has no DOM lib, and Node's global typing varies.
  const c = (globalThis as { crypto?: WebCryptoSubset }).crypto;
  if (c !== undefined && c.randomUUID !== undefined) return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c?.getRandomValues !== undefined) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
