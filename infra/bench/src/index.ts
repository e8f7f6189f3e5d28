export { percentile, summarize, parseProcStatTicks, cpuBetween, snapshotCpu, type LatencySummary } from './stats.js';
export { startCluster, type BenchCluster, type GatewayNode } from './cluster.js';
export { runOpenLoop, type OpenLoopOptions, type OpenLoopResult } from './load.js';
export { runOneToOne, type OneToOneOptions, type OneToOneResult, type StepResult } from './scenarios/one-to-one.js';
export { formatTable, renderOneToOne, writeResult } from './report.js';
