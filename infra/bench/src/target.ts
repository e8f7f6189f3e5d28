import type { CommandCounts } from './command-counts.js';
import type { WatchedProcess } from './stats.js';

/** One user of a bench run, on the node its socket connects to. */
export interface BenchUserRef {
  userId: string;
  token: string;
  nodeUrl: string;
}

/** What a scenario needs to exist before it connects: users and the rooms between them. */
export interface SetupPlan {
  users: number;
  /** Index (into the target's nodes) of the node user i connects to. */
  nodeOf: (i: number) => number;
  /** Pairs of user indices, one direct conversation each. */
  directs: readonly (readonly [number, number])[];
  /** Member user indices per group; the first one creates it. */
  groups: readonly (readonly number[])[];
}

export interface Prepared {
  users: BenchUserRef[];
  directIds: string[];
  groupIds: string[];
}

export interface ReceivedMessage {
  roomId: string;
  senderId: string;
  text: string;
}

export type AckCallback = (ok: boolean, code?: string) => void;

/** One connected client; the same calls drive ours and the reference. */
export interface TargetSocket {
  send(roomId: string, clientMsgId: string, text: string, onAck?: AckCallback): void;
  onMessage(handler: (message: ReceivedMessage) => void): void;
  close(): void;
}

export type TargetName = 'ours' | 'persisted' | 'reference';

export interface Target {
  readonly name: TargetName;
  /** Ours and the persisted reference acknowledge every send; the relay does not. */
  readonly acks: boolean;
  readonly nodes: readonly { url: string; pid: number }[];
  /** Every server process whose CPU is reported (plus the bench itself). */
  processes(): WatchedProcess[];
  /** The chat node processes, whose memory per connection is reported. */
  nodeProcesses(): WatchedProcess[];
  /** The servers' own command counters (cumulative; steps report the difference). */
  commandCounts(): Promise<CommandCounts>;
  /** Creates users and rooms; may be called again for more (ids stay unique). */
  prepare(plan: SetupPlan): Promise<Prepared>;
  /** Resolves once the server confirmed the session (auth, room joins, presence done). */
  connect(user: BenchUserRef): Promise<TargetSocket>;
  stop(): Promise<void>;
}
