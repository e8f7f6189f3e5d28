import { parse } from 'yaml';

/** The parts of the compose spec these checks read; everything else stays unknown. */
export interface ComposeService {
  image?: string;
  build?:
    string | { context?: string; dockerfile?: string; args?: Record<string, string> | string[] };
  command?: string | string[];
  environment?: Record<string, unknown> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string })[];
  ports?: unknown[];
  expose?: unknown[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  restart?: string;
  stop_grace_period?: string;
  container_name?: string;
  deploy?: { replicas?: number };
}

export interface ComposeFile {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/**
 * Compose's interpolation: `$$`, `${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}` (the
 * forms this file may use). A missing required variable throws, as `docker compose` does.
 */
export function interpolate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (all, braced?: string, op?: string, arg?: string, bare?: string) => {
      if (all === '$$') return '$';
      const name = braced ?? bare ?? '';
      const value = vars[name];
      const unset = value === undefined || (op?.startsWith(':') === true && value === '');
      if (op?.endsWith('-')) return unset ? (arg ?? '') : (value ?? '');
      if (op?.endsWith('?')) {
        if (unset) throw new Error(`required variable ${name} is missing: ${arg ?? ''}`);
        return value ?? '';
      }
      return value ?? '';
    },
  );
}

/** Parses after interpolation (merge keys `<<` on, as compose resolves them). */
export function loadCompose(text: string, vars: Readonly<Record<string, string>>): ComposeFile {
  const doc = parse(interpolate(text, vars), { merge: true }) as ComposeFile;
  if (typeof doc !== 'object' || doc === null || typeof doc.services !== 'object') {
    throw new Error('compose file has no services');
  }
  return doc;
}

/** `environment` as a map of strings, from either the map or the `KEY=VALUE` list form. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const env = service.environment ?? {};
  const entries: [string, unknown][] = Array.isArray(env)
    ? env.map((item) => {
        const [key = '', ...value] = item.split('=');
        return [key, value.join('=')];
      })
    : Object.entries(env);
  const out: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (value !== null && typeof value === 'object')
      throw new Error(`environment ${key} is not a scalar`);
    out[key] =
      value === null || value === undefined ? '' : String(value as string | number | boolean);
  }
  return out;
}

export function dependsOn(service: ComposeService): [string, string][] {
  const deps = service.depends_on ?? [];
  return Array.isArray(deps)
    ? deps.map((name) => [name, 'service_started'])
    : Object.entries(deps).map(([name, d]) => [name, d.condition ?? 'service_started']);
}

/** Volume mounts as { source, target, named } from short (`src:dst[:mode]`) or long syntax. */
export function mountsOf(
  service: ComposeService,
): { source: string; target: string; named: boolean }[] {
  return (service.volumes ?? []).map((v) => {
    const [source = '', target = ''] =
      typeof v === 'string' ? v.split(':') : [v.source ?? '', v.target ?? ''];
    const named = source !== '' && !/^[./~]/.test(source);
    return { source, target, named };
  });
}
