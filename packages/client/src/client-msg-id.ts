/** A fresh idempotency key for `message:send` / POST messages (PROTOCOL §3: 1–64 chars). */
export function newClientMsgId(): string {
  // crypto.randomUUID is global in Node ≥ 19 and in browsers (secure contexts only);
  // the fallback keeps plain-http dev pages working.
  const c = globalThis.crypto as Crypto | undefined;
  if (c !== undefined && typeof c.randomUUID === 'function') return c.randomUUID();
  const bytes = new Uint8Array(16);
  if (c !== undefined && typeof c.getRandomValues === 'function') c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
