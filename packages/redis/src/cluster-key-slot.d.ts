// cluster-key-slot (the slot function ioredis itself uses) ships no types.
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0–16383) of a key, honouring `{hash tags}`. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of all keys, or -1 when they span slots. */
    function generateMulti(keys: readonly (string | Buffer)[]): number;
  }
  export default calculateSlot;
}
