import { Aggregator, Context } from 'mingo';
import { Lazy, type Iterator } from 'mingo/lazy';
import {
  $addFields,
  $project,
  $replaceRoot,
  $replaceWith,
  $set,
  $unset,
} from 'mingo/operators/pipeline';
import { Query as CoreQuery } from 'mingo/query';
import type { Options } from 'mingo/types';
import type { Doc } from './bson-values.js';

/**
 * mingo copies its whole operator table (hundreds of entries, plus four more merges in its
 * updater) whenever it is handed plain options: on every `new Query`, every `find`, every
 * update. That copying (`Context.from`/`addOps`) was the top JavaScript self-time of this server
 * under chat load. The options object mingo hands to an operator is its own initialised one;
 * captured once here, later calls reuse it and mingo only copies its small per-call locals.
 */
let captured: Options | undefined;
new Aggregator([{ $captureOptions: 1 }], {
  context: Context.init({
    pipeline: {
      $captureOptions: ((coll: Iterator, _expr: unknown, options: Options): Iterator => {
        captured = options;
        return coll;
      }) as never,
    },
  }),
}).run([]);
if (!captured) throw new Error('embedded-mongo: could not initialise mingo options');
const SHARED: Options = captured;

/** mingo's own ComputeOptions.init: a copy sharing the operator table, with fresh locals. */
const initOptions = (SHARED.constructor as unknown as { init(o: Options): Options }).init;

/**
 * Options for one mingo call. Operators such as `$project` write per-document state (the root)
 * into the options' locals, so concurrent uses never share one copy.
 */
export const mingoOptions = (): Options => initOptions(SHARED);

type OptionsClass = new (options: object, locals?: object) => Options;

/**
 * Options whose `$$name` variables are the command's `let` (MongoDB 5.0+), still sharing the
 * initialised operator table (mingo's constructor, unlike `init`, copies nothing).
 */
export const mingoOptionsWith = (variables: Doc | undefined): Options =>
  variables === undefined
    ? mingoOptions()
    : new (SHARED.constructor as OptionsClass)({
        ...(SHARED as unknown as { options: object }).options,
        variables,
      });

/** A mingo Query (every query and projection operator) without copying the operator table. */
export const newQuery = (filter: Doc, variables?: Doc): CoreQuery =>
  new CoreQuery(filter, mingoOptionsWith(variables));

type Stage = (coll: Iterator, expr: never, options: Options) => Iterator;

/** The stages an update pipeline may use, as mingo's updater maps them. */
const PIPELINE_UPDATE_OPERATORS: Record<string, Stage> = {
  $addFields,
  $set,
  $project,
  $unset,
  $replaceRoot,
  $replaceWith,
};

/**
 * Runs a (validated) update pipeline over one document and returns the result; the input is
 * not modified by the stages used here ($addFields copies the root before setting fields).
 */
export function runUpdatePipeline(doc: Doc, stages: readonly Doc[], variables?: Doc): Doc {
  const options = mingoOptionsWith(variables);
  let iter: Iterator = Lazy([doc]);
  for (const stage of stages) {
    const op = Object.keys(stage)[0] as string;
    const fn = PIPELINE_UPDATE_OPERATORS[op];
    if (!fn) throw new Error(`Unknown pipeline operator: '${op}'.`);
    // validateUpdate checked the stage names; mingo checks each stage's argument.
    iter = fn(iter, stage[op] as never, options);
  }
  return iter.collect()[0] as Doc;
}
