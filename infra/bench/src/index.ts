export {
  percentile,
  summarize,
  parseProcStatTicks,
  cpuBetween,
  snapshotCpu,
  type LatencySummary,
} from './stats.js';
export { startCluster, type BenchCluster, type GatewayNode } from './cluster.js';
export { runOpenLoop, type OpenLoopOptions, type OpenLoopResult } from './load.js';
export { nextRate, bestPassing, type SearchPoint, type SearchOptions } from './search.js';
export { TrafficDriver, type StepResult, type TrafficPlan } from './traffic.js';
export type { Target, TargetSocket, SetupPlan, Prepared, BenchUserRef } from './target.js';
export { startOurs, type OursTarget } from './targets/ours.js';
export { startReference } from './reference/cluster.js';
export { runOneToOne, runFanOut, type MessagingResult } from './scenarios/messaging.js';
export { runConnectStorm, readRssKiB, type ConnectStormResult } from './scenarios/connect-storm.js';
export { runSyncCatchup, type SyncCatchupResult } from './scenarios/sync-catchup.js';
export { formatTable, renderSummary, renderSteps, writeResult } from './report.js';
