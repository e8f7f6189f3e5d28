/**
 * The production path (docker-compose.yml, nginx.conf, infra/docker/Dockerfile) checked
 * without a Docker engine: the real `nginx -t`, compose's structure and the environment fed
 * to the services' real config loaders, and the Dockerfile against the repo it builds from.
 */
import { loadGatewayConfig } from '@chat/gateway';
import { loadWorkerConfig } from '@chat/worker';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BlockList, isIPv6 } from 'node:net';
import { tmpdir } from 'node:os';
import { join, posix, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  dependsOn,
  environmentOf,
  loadCompose,
  mountsOf,
  type ComposeService,
} from './production-files/compose.js';
import {
  dockerignoreMatcher,
  execForm,
  parseCopy,
  parseDockerfile,
  type Stage,
} from './production-files/dockerfile.js';
import { generateSelfSignedCert } from '@chat/testkit';
import { durationMs, find, nginxSize, one, parseNginxConf } from './production-files/nginx-conf.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const NGINX = '/usr/sbin/nginx';
/** What an operator must export; `${JWT_SECRET:?}` refuses to start without it. */
const OPERATOR_VARS = { JWT_SECRET: 'x'.repeat(48) };

const compose = loadCompose(read('docker-compose.yml'), OPERATOR_VARS);
const service = (name: string): ComposeService => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};
const nginxConf = parseNginxConf(read('nginx.conf'));
const http = one(nginxConf, 'http').block ?? [];
const dockerfile = parseDockerfile(read('infra/docker/Dockerfile'));
const finalStage = dockerfile.stages.at(-1) as Stage;
const instr = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.keyword === keyword);

/** Dockerfile `ENV a=b c=d` of the runtime stage: part of what the processes see. */
const imageEnv: Record<string, string> = Object.fromEntries(
  instr(finalStage, 'ENV').flatMap((i) =>
    [...i.rest.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1] ?? '', m[2] ?? '']),
  ),
);

/** Runs a config loader on exactly the container's environment and records what it reads. */
function loadWith<T>(serviceName: string, loader: (env: Record<string, string | undefined>) => T) {
  const env = { ...imageEnv, ...environmentOf(service(serviceName)) };
  const readNames = new Set<string>();
  const tracked = new Proxy(env, {
    get: (target, key) => {
      if (typeof key === 'string') readNames.add(key);
      return target[key as string];
    },
  });
  return { config: loader(tracked), env, readNames };
}
const gateway = loadWith('chat', loadGatewayConfig);
const worker = loadWith('worker', loadWorkerConfig);
const gatewayServices = ['chat'];

function versionAtLeast(version: string, min: string): boolean {
  const a = version.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  return true;
}

/** The server block whose `listen` starts with `port`. */
const serverOn = (port: string) => {
  const found = find(http, 'server').filter((s) =>
    find(s.block ?? [], 'listen').some((l) => l.args[0] === port),
  );
  if (found.length !== 1) throw new Error(`expected one server on ${port}, found ${found.length}`);
  return found[0]?.block ?? [];
};

describe('nginx.conf', () => {
  const upstream = one(http, 'upstream', 'chat').block ?? [];
  const tlsServer = serverOn('443');
  const location = one(tlsServer, 'location', '/').block ?? [];
  const headers = new Map(
    find(location, 'proxy_set_header').map((d) => [d.args[0]?.toLowerCase(), d.args[1]]),
  );

  it('passes the real `nginx -t` (on a copy adapted to this host)', async () => {
    expect(existsSync(NGINX), `${NGINX} (apt-get install nginx) runs this check`).toBe(true);
    const { stderr: versionOut } = await promisify(execFile)(NGINX, ['-v']);
    const localVersion = /nginx\/(\d+\.\d+\.\d+)/.exec(versionOut)?.[1] ?? '0.0.0';
    let text = read('nginx.conf');
    // Without `resolve`, nginx resolves upstream names when it loads: `chat` exists only on
    // the compose network, so the copy points at loopback. nginx < 1.27.3 (Debian's) does not
    // know `resolve` either; the compose image's version is checked in the next test.
    const server = /(\bserver\s+)chat(:\d+)((?:\s+\S+)*?)(\s+resolve)\b/;
    expect(text).toMatch(server);
    text = text.replace(
      server,
      (_all, kw: string, port: string, params: string, res: string) =>
        `${kw}127.0.0.1${port}${params}${versionAtLeast(localVersion, '1.27.3') ? res : ''}`,
    );
    const dir = mkdtempSync(join(tmpdir(), 'nginx-t-'));
    try {
      // The certificate compose mounts at /etc/nginx/certs: a generated one here.
      await generateSelfSignedCert(join(dir, 'certs'));
      text = text.replaceAll('/etc/nginx/certs/', `${dir}/certs/`);
      // Temp and log paths under the scratch dir, so the test needs no root.
      const paths = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
        .map((p) => `${p}_temp_path ${dir}/${p};`)
        .join(' ');
      text = text.replace(/\bhttp\s*\{/, `http { ${paths} access_log ${dir}/access.log;`);
      writeFileSync(join(dir, 'nginx.conf'), text);
      const result = await promisify(execFile)(NGINX, [
        '-t',
        '-p',
        dir,
        '-c',
        join(dir, 'nginx.conf'),
        '-e',
        join(dir, 'error.log'),
        '-g',
        `pid ${dir}/nginx.pid;`,
      ]).catch((err: { stderr?: string }) => ({ stderr: `FAILED: ${err.stderr ?? String(err)}` }));
      expect(result.stderr).toContain('test is successful');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is served by an image whose nginx knows `server … resolve` (>= 1.27.3)', () => {
    const usesResolve = find(upstream, 'server').some((d) => d.args.includes('resolve'));
    expect(usesResolve).toBe(true);
    expect(one(upstream, 'zone').args[0]).toBeTruthy();
    expect(find(http, 'resolver').length + find(upstream, 'resolver').length).toBeGreaterThan(0);
    const tag = /^nginx:(\d+\.\d+(?:\.\d+)?)/.exec(service('nginx').image ?? '')?.[1];
    expect(tag, 'nginx image pinned to a version').toBeDefined();
    expect(versionAtLeast(tag ?? '0', '1.27.3')).toBe(true);
  });

  it('is sticky by client address and forwards websockets to the gateway port', () => {
    expect(one(upstream, 'hash').args).toEqual(['$remote_addr', 'consistent']);
    expect(find(upstream, 'server').map((d) => d.args[0])).toEqual([`chat:${gateway.config.port}`]);
    expect(one(location, 'proxy_pass').args[0]).toBe('http://chat');
    expect(one(location, 'proxy_http_version').args[0]).toBe('1.1');
    expect(headers.get('upgrade')).toBe('$http_upgrade');
    const connection = headers.get('connection') ?? '';
    const map = one(http, 'map', '$http_upgrade');
    expect(map.args[1]).toBe(connection);
    expect(one(map.block ?? [], 'default').args[0]).toBe('upgrade');
  });

  it('lets idle sockets live and retries only failed connects', () => {
    const { pingIntervalMs, pingTimeoutMs } = gateway.config.realtime;
    expect(durationMs(one(location, 'proxy_read_timeout').args[0] ?? '')).toBeGreaterThan(
      pingIntervalMs + pingTimeoutMs,
    );
    expect(durationMs(one(location, 'proxy_send_timeout').args[0] ?? '')).toBeGreaterThan(
      pingIntervalMs + pingTimeoutMs,
    );
    const next = one(location, 'proxy_next_upstream').args;
    expect(next).toContain('error');
    expect(next).not.toContain('non_idempotent');
  });

  it('accepts an upload of UPLOAD_MAX_BYTES plus multipart overhead', () => {
    const limit = nginxSize(one(tlsServer, 'client_max_body_size').args[0] ?? '0');
    expect(limit).toBeGreaterThanOrEqual(gateway.config.uploads.maxBytes + 64 * 1024);
  });

  it('serves HTTPS on 443 with HSTS from the edge, and redirects plain HTTP', () => {
    expect(find(tlsServer, 'listen')[0]?.args).toEqual(['443', 'ssl']);
    expect(one(tlsServer, 'ssl_certificate').args[0]).toBe('/etc/nginx/certs/tls.crt');
    expect(one(tlsServer, 'ssl_certificate_key').args[0]).toBe('/etc/nginx/certs/tls.key');
    expect(one(tlsServer, 'proxy_hide_header').args[0]).toBe('Strict-Transport-Security');
    expect(one(tlsServer, 'add_header').args.slice(0, 2)).toEqual([
      'Strict-Transport-Security',
      'max-age=31536000',
    ]);
    const plain = serverOn('80');
    expect(one(plain, 'location', '/').block?.find((d) => d.name === 'return')?.args).toEqual([
      '301',
      'https://$host$request_uri',
    ]);
    expect(one(plain, 'location', '=').args).toEqual(['=', '/nginx-health']);
  });

  it('overwrites X-Forwarded-For, so TRUST_PROXY ranges cannot be spoofed through it', () => {
    expect(headers.get('x-forwarded-for')).toBe('$remote_addr');
  });
});

describe('docker-compose.yml', () => {
  const names = Object.keys(compose.services);

  it('builds or pulls every service from something that exists', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.image !== undefined || s.build !== undefined, `${name}: image or build`).toBe(true);
      if (s.image) expect(s.image, `${name}: image tag pinned`).toMatch(/:(?!latest$)[\w.-]+$/);
      if (s.build) {
        const build = typeof s.build === 'string' ? { context: s.build } : s.build;
        const context = join(ROOT, build.context ?? '.');
        expect(
          existsSync(join(context, build.dockerfile ?? 'Dockerfile')),
          `${name}: Dockerfile`,
        ).toBe(true);
      }
    }
  });

  it('depends only on services that exist, healthy ones through their healthcheck', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const [target, condition] of dependsOn(s)) {
        expect(names, `${name} depends on ${target}`).toContain(target);
        expect(['service_started', 'service_healthy', 'service_completed_successfully']).toContain(
          condition,
        );
        if (condition === 'service_healthy')
          expect(service(target).healthcheck?.test, `${target}: healthcheck`).toBeDefined();
      }
    }
  });

  it('declares every named volume and finds every bind-mounted file', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const m of mountsOf(s)) {
        if (m.named)
          expect(Object.keys(compose.volumes ?? {}), `${name}: volume ${m.source}`).toContain(
            m.source,
          );
        else expect(existsSync(join(ROOT, m.source)), `${name}: ${m.source}`).toBe(true);
      }
    }
  });

  it('publishes ports on nginx only; the gateway can be scaled', () => {
    expect(names.filter((n) => (compose.services[n]?.ports ?? []).length > 0)).toEqual(['nginx']);
    for (const n of gatewayServices) expect(service(n).container_name).toBeUndefined();
  });

  it('gives every service a healthcheck and a restart policy', () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(s.healthcheck?.test, `${name}: healthcheck`).toBeDefined();
      expect(s.healthcheck?.disable, `${name}: healthcheck`).not.toBe(true);
      expect(['always', 'unless-stopped', 'on-failure'], `${name}: restart`).toContain(s.restart);
    }
  });

  it('refuses to start without JWT_SECRET', () => {
    expect(() => loadCompose(read('docker-compose.yml'), {})).toThrow(/JWT_SECRET/);
  });

  it('sets only variables the services read or .env.example documents, and the loaders accept them', () => {
    const documented = new Set(
      [...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]),
    );
    for (const [svc, loaded] of [
      ['chat', gateway],
      ['worker', worker],
    ] as const) {
      for (const name of Object.keys(environmentOf(service(svc)))) {
        expect(documented.has(name), `${svc}: ${name} in .env.example`).toBe(true);
        // NODE_ENV also tunes libraries; everything else must reach the service's own config.
        if (name !== 'NODE_ENV')
          expect(loaded.readNames.has(name), `${svc}: ${name} is read by its config`).toBe(true);
      }
    }
    expect(gateway.config.production).toBe(true);
  });

  it('gives the gateway and the worker the same Mongo, Redis, queue and presence settings', () => {
    for (const name of [
      'MONGO_URL',
      'MONGO_DB',
      'REDIS_URL',
      'REDIS_PREFIX',
      'QUEUE_PREFIX',
      'PRESENCE_PREFIX',
      'PRESENCE_TTL_MS',
    ]) {
      expect(worker.env[name], name).toBe(gateway.env[name]);
    }
    expect(worker.config.redis.topology).toEqual(gateway.config.redis.topology);
    // The hand-off stream lives under the send path's prefix.
    expect(worker.config.redisPrefix).toBe(gateway.config.redis.keyPrefix);
    expect(worker.config.mongo).toEqual(gateway.config.mongo);
  });

  it('runs mongo as the replica set the services name, redis with AOF', () => {
    const rs = new URL(gateway.config.mongo.url).searchParams.get('replicaSet');
    expect(rs).toBeTruthy();
    const mongoCmd = [service('mongo').command ?? []].flat().join(' ');
    expect(mongoCmd).toContain(`--replSet ${rs}`);
    expect(JSON.stringify(service('mongo').healthcheck?.test)).toContain(`_id: '${rs}'`);
    expect([service('redis').command ?? []].flat().join(' ')).toMatch(/--appendonly yes/);
  });

  it('stops gracefully: stop_grace_period covers DRAIN_TIMEOUT and the worker shutdown', () => {
    const grace = (n: string) => durationMs(service(n).stop_grace_period ?? '10s');
    for (const n of gatewayServices)
      expect(grace(n)).toBeGreaterThan(gateway.config.drainTimeoutMs);
    expect(grace('worker')).toBeGreaterThan(worker.config.shutdownTimeoutMs);
  });

  it('shares one uploads volume at UPLOAD_DIR across gateway replicas', () => {
    for (const n of gatewayServices) {
      const mount = mountsOf(service(n)).find((m) => m.target === gateway.config.uploads.dir);
      expect(mount?.named, `${n}: a named volume at ${gateway.config.uploads.dir}`).toBe(true);
    }
  });

  it('trusts X-Forwarded-For from Docker networks only', () => {
    const trusted = new BlockList();
    for (const entry of gateway.config.trustProxy) {
      const [addr = '', bits] = entry.split('/');
      const family = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits === undefined) trusted.addAddress(addr, family);
      else trusted.addSubnet(addr, Number(bits), family);
    }
    // Docker's default bridge, compose networks (172.18+), its 192.168 pool, overlay 10.0.
    for (const ip of ['172.17.0.2', '172.18.0.5', '172.31.255.3', '192.168.16.4', '10.0.1.9'])
      expect(trusted.check(ip), ip).toBe(true);
    for (const ip of ['8.8.8.8', '100.64.0.1']) expect(trusted.check(ip), ip).toBe(false);
  });
});

describe('infra/docker/Dockerfile', () => {
  const stageNames = dockerfile.stages.map((s) => s.name);
  const buildServices = Object.values(compose.services)
    .map((s) =>
      typeof s.build === 'object' && !Array.isArray(s.build.args)
        ? s.build.args?.SERVICE
        : undefined,
    )
    .filter((s): s is string => s !== undefined);
  const ignored = dockerignoreMatcher(read('infra/docker/Dockerfile.dockerignore'));
  const pkg = (dir: string) =>
    JSON.parse(read(`${dir}/package.json`)) as {
      name: string;
      dependencies?: Record<string, string>;
      exports?: Record<string, Record<string, string>>;
    };
  const tsconfig = (dir: string) =>
    JSON.parse(read(`${dir}/tsconfig.json`)) as {
      compilerOptions?: { rootDir?: string; outDir?: string };
      references?: { path: string }[];
    };
  const workspaceDir = (name: string) =>
    ['packages', 'services']
      .map((d) => `${d}/${name.replace('@chat/', '')}`)
      .find((d) => existsSync(join(ROOT, d, 'package.json')));

  it('takes --from only from earlier stages', () => {
    dockerfile.stages.forEach((stage, index) => {
      for (const copy of instr(stage, 'COPY')) {
        const from = parseCopy(copy.rest).flags.get('from');
        if (from !== undefined)
          expect(stageNames.slice(0, index), `line ${copy.line}`).toContain(from);
      }
    });
  });

  it('copies from the context only paths that exist and are not ignored', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of [...instr(stage, 'COPY'), ...instr(stage, 'ADD')]) {
        const { flags, sources } = parseCopy(copy.rest);
        if (flags.has('from')) continue;
        for (const src of sources) {
          expect(existsSync(join(ROOT, src)), `line ${copy.line}: ${src}`).toBe(true);
          expect(ignored(src), `line ${copy.line}: ${src} is in Dockerfile.dockerignore`).toBe(
            false,
          );
        }
      }
    }
    for (const dir of [
      'node_modules',
      'packages/core/dist',
      'services/gateway/tsconfig.tsbuildinfo',
    ])
      expect(ignored(dir), dir).toBe(true);
  });

  it('pins its base image through a defaulted ARG', () => {
    for (const stage of dockerfile.stages) {
      for (const [, arg] of stage.base.matchAll(/\$\{(\w+)\}/g))
        expect(dockerfile.globalArgs.get(arg ?? ''), arg).toBeTruthy();
      expect(stage.base).not.toMatch(/:latest$|^[^:]+$/);
    }
  });

  it('runs as a non-root user under tini', () => {
    const user = instr(finalStage, 'USER').at(-1)?.rest ?? 'root';
    expect(['root', '0', '0:0']).not.toContain(user.split(':')[0]);
    expect(execForm(instr(finalStage, 'ENTRYPOINT').at(-1)?.rest ?? '')[0]).toMatch(/tini$/);
  });

  it('starts the dist/main.js that tsc and `pnpm deploy` produce for each service', () => {
    expect(buildServices.sort()).toEqual(['gateway', 'worker']);
    const cmd = execForm(instr(finalStage, 'CMD').at(-1)?.rest ?? '');
    expect(cmd[0]).toBe('node');
    const script = cmd.find((a) => a.endsWith('.js')) ?? '';
    const workdir = instr(finalStage, 'WORKDIR').at(-1)?.rest ?? '/';
    const deploy = /\bdeploy(?:\s+--[\w-]+)*\s+(\/[^\s;&|]+)/.exec(
      instr(dockerfile.stages[0] as Stage, 'RUN').find((r) => r.rest.includes('deploy'))?.rest ??
        '',
    );
    const outDir = deploy?.[1] ?? '';
    expect(
      instr(finalStage, 'COPY')
        .map((c) => parseCopy(c.rest))
        .some((c) => c.sources[0] === outDir && posix.resolve(workdir, c.dest) === workdir),
    ).toBe(true);
    const tscRun =
      instr(dockerfile.stages[0] as Stage, 'RUN').find((r) => /tsc -b/.test(r.rest))?.rest ?? '';
    for (const svc of buildServices) {
      const dir = `services/${svc}`;
      const opts = tsconfig(dir).compilerOptions ?? {};
      expect(tscRun.split(/\s+/), `tsc -b builds ${dir}`).toContain(dir);
      expect(
        existsSync(join(ROOT, dir, opts.rootDir ?? '.', 'main.ts')),
        `${dir}/src/main.ts`,
      ).toBe(true);
      expect(posix.normalize(script)).toBe(posix.join(opts.outDir ?? '', 'main.js'));
    }
  });

  it('builds, through project references, every workspace package the services import', () => {
    for (const svc of buildServices) {
      const referenced = new Set<string>();
      const walk = (dir: string) => {
        for (const ref of tsconfig(dir).references ?? []) {
          const target = posix.normalize(posix.join(dir, ref.path));
          if (referenced.has(target)) continue;
          referenced.add(target);
          walk(target);
        }
      };
      walk(`services/${svc}`);
      const seen = new Set<string>();
      const visit = (dir: string) => {
        for (const dep of Object.keys(pkg(dir).dependencies ?? {}).filter((d) =>
          d.startsWith('@chat/'),
        )) {
          const depDir = workspaceDir(dep);
          if (!depDir || seen.has(depDir)) continue;
          seen.add(depDir);
          expect(referenced.has(depDir), `${svc}: tsc -b reaches ${depDir}`).toBe(true);
          expect(pkg(depDir).exports?.['.']?.default).toBe(
            `./${tsconfig(depDir).compilerOptions?.outDir ?? ''}/index.js`,
          );
          expect(
            existsSync(
              join(ROOT, depDir, tsconfig(depDir).compilerOptions?.rootDir ?? '', 'index.ts'),
            ),
          ).toBe(true);
          visit(depDir);
        }
      };
      visit(`services/${svc}`);
      expect(seen.size, `${svc} has workspace dependencies`).toBeGreaterThan(0);
    }
  });

  it('ships the web build where WEB_DIST_DIR points and a writable UPLOAD_DIR', () => {
    expect(read('packages/web/vite.config.ts')).toMatch(/outDir:\s*'dist'/);
    const web = instr(finalStage, 'COPY')
      .map((c) => parseCopy(c.rest))
      .find((c) => c.sources[0]?.endsWith('packages/web/dist'));
    expect(web).toBeDefined();
    const workdir = instr(finalStage, 'WORKDIR').at(-1)?.rest ?? '/';
    expect(imageEnv.WEB_DIST_DIR).toBe(posix.resolve(workdir, web?.dest ?? ''));
    const user = instr(finalStage, 'USER').at(-1)?.rest ?? '';
    const chown = instr(finalStage, 'RUN').some((r) =>
      r.rest.includes(`chown ${user}:${user} ${gateway.config.uploads.dir}`),
    );
    expect(chown, `RUN chown ${user}:${user} ${gateway.config.uploads.dir}`).toBe(true);
  });
});
