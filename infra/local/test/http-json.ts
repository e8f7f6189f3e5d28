/** One JSON request to a gateway or nginx; the parsed body (undefined when empty) and status. */
export async function httpJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const { token, body } = options;
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface Authed {
  user: { id: string };
  accessToken: string;
}

/** Registers or logs in `username` with the tests' password. */
export const authenticate = (
  baseUrl: string,
  how: 'register' | 'login',
  username: string,
): Promise<{ status: number; body: Authed }> =>
  httpJson<Authed>(baseUrl, 'POST', `/api/auth/${how}`, {
    body: { username, password: 'correct horse battery' },
  });
