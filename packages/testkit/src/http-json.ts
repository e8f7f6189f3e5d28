/*
 * JSON over HTTP as the tests speak it to a gateway or to nginx in front of gateways: the
 * gateway fixture, the fault cluster and the runner's tests share these, so a change to the
 * auth routes or the error body is made once.
 */

export interface JsonResponse<T> {
  status: number;
  /** The parsed body; undefined when the response had none. */
  body: T;
  headers: Headers;
}

/** One JSON request to `baseUrl + path`, with a bearer `token` when given. */
export async function httpJson<T>(
  baseUrl: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<JsonResponse<T>> {
  const { token, body, headers } = options;
  const res = await fetch(baseUrl + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: res.headers,
  };
}

export interface Authed {
  user: { id: string };
  accessToken: string;
}

/** A user the tests registered: what a test needs to act as it. */
export interface RegisteredUser {
  id: string;
  username: string;
  token: string;
}

/** Registers or logs in `username` with the tests' password. */
export const authenticate = (
  baseUrl: string,
  how: 'register' | 'login',
  username: string,
): Promise<JsonResponse<Authed>> =>
  httpJson<Authed>(baseUrl, 'POST', `/api/auth/${how}`, {
    body: { username, password: 'correct horse battery' },
  });

/** Registers `username` through `baseUrl`; throws unless 201. */
export async function registerUser(baseUrl: string, username: string): Promise<RegisteredUser> {
  const res = await authenticate(baseUrl, 'register', username);
  if (res.status !== 201)
    throw new Error(`register ${username}: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.user.id, username, token: res.body.accessToken };
}
