import type { Document, ObjectId } from 'bson';

/**
 * The pipeline update of the store's batched seq allocation (packages/store
 * conversations.repository.ts `allocateMany`) as it reaches this server: the conversation's
 * `$inc` done as `$add`, the preview as a literal, and a `{ t: token, s: seq }` record in the
 * bounded `seqGrants`. One copy for the benchmarks and the tests that replay it.
 */
export function seqGrantPipeline(
  count: number,
  preview: Document,
  token: ObjectId,
  at: Date,
): Document[] {
  return [
    {
      $set: {
        seq: { $add: ['$seq', count] },
        lastMessage: { $literal: preview },
        lastActivityAt: { $max: ['$lastActivityAt', at] },
      },
    },
    {
      $set: {
        seqGrants: {
          $slice: [
            {
              $concatArrays: [
                { $ifNull: ['$seqGrants', []] },
                [{ t: { $literal: token }, s: '$seq' }],
              ],
            },
            -16,
          ],
        },
      },
    },
  ];
}
