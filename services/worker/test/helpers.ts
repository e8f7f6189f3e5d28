import { fileURLToPath } from 'node:url';
import { spawnTsEntry, type ManagedProcess } from '@chat/testkit';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export {
  startWebhookReceiver as startReceiver,
  type WebhookReceiver as Receiver,
} from '@chat/testkit';

/** The real worker process (services/worker/src/main.ts), once it logged "worker ready". */
export function startWorker(env: Record<string, string>): Promise<ManagedProcess> {
  return spawnTsEntry('services/worker/src/main.ts', {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    name: 'worker',
    readyWhen: (output) => output.includes('"msg":"worker ready"'),
  });
}
