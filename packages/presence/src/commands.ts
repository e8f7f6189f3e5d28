import type { RedisClient } from '@chat/redis';
import type { ChainableCommander } from 'ioredis';
import {
  CONNECT_LUA,
  DISCONNECT_LUA,
  HEARTBEAT_LUA,
  ONLINE_COUNTS_LUA,
  SWEEP_USER_LUA,
} from './scripts.js';

/* The commands registered with defineCommand; ioredis adds them at run time, so the
   static types are declared here. */
export type ScriptArg = string | number;
export interface PresenceCommands {
  chatPresenceConnect(...args: ScriptArg[]): Promise<[number, number]>;
  chatPresenceHeartbeat(...args: ScriptArg[]): Promise<number>;
  chatPresenceDisconnect(...args: ScriptArg[]): Promise<[number, number]>;
  chatPresenceSweepUser(...args: ScriptArg[]): Promise<[string, string] | null>;
  /** Variable key count: the first argument is the number of keys. */
  chatPresenceOnlineCounts(...args: ScriptArg[]): Promise<number[]>;
}
export type PresencePipeline = ChainableCommander & {
  [K in keyof PresenceCommands]: (...args: ScriptArg[]) => PresencePipeline;
};

export function defineCommands(redis: RedisClient): void {
  redis.defineCommand('chatPresenceConnect', { numberOfKeys: 4, lua: CONNECT_LUA });
  redis.defineCommand('chatPresenceHeartbeat', { numberOfKeys: 4, lua: HEARTBEAT_LUA });
  redis.defineCommand('chatPresenceDisconnect', { numberOfKeys: 4, lua: DISCONNECT_LUA });
  redis.defineCommand('chatPresenceSweepUser', { numberOfKeys: 3, lua: SWEEP_USER_LUA });
  redis.defineCommand('chatPresenceOnlineCounts', { lua: ONLINE_COUNTS_LUA });
}
