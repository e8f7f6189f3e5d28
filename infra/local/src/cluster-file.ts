import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The shape documented in docs/PROTOCOL.md#section-6; every pid is the working process itself. */
export interface ClusterFile {
  url: string;
  nginx: { port: number; pid: number };
  nodes: Array<{ id: string; port: number; pid: number }>;
  worker: { pid: number } | null;
  redis: { url: string; pid?: number };
  mongo: { url: string; pid?: number; embedded: boolean };
}

export function clusterFilePath(runDir: string): string {
  return join(runDir, 'cluster.json');
}

export async function writeClusterFile(runDir: string, cluster: ClusterFile): Promise<string> {
  await mkdir(runDir, { recursive: true });
  const path = clusterFilePath(runDir);
  // Write-then-rename so a reader never sees half a file.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(cluster, null, 2)}\n`);
  await rename(temp, path);
  return path;
}

export async function removeClusterFile(runDir: string): Promise<void> {
  await rm(clusterFilePath(runDir), { force: true });
}
