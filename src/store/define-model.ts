import { optionsObject } from '../core/options.js';
import type { KickassContext } from '../core/context.js';
import { IncrementalIdGenerator } from '../ids/incremental-id-generator.js';
import { TimeOrderedIdGenerator } from '../ids/time-ordered-id-generator.js';
import { idCounterKey } from './keys.js';
import { Model } from './model.js';
import type { IdSource } from './model.js';
import { modelInternals } from './model-internals.js';
import { compileSchema } from './schema.js';
import type { ModelOptions } from './schema.js';
import type { FieldMap } from './types.js';

/** Defines a model on a context; `onClose` receives what must be closed with the instance. */
export function defineModel<M extends FieldMap>(
  context: KickassContext,
  name: string,
  fields: M,
  givenOptions?: ModelOptions<M>,
  onClose: (close: () => Promise<void>) => void = () => undefined,
): Model<M> {
  const options = optionsObject(givenOptions);
  const schema = compileSchema(name, fields, options);
  let ids: IdSource;
  if (typeof options.id === 'function') {
    ids = options.id;
  } else if (options.id === 'time-ordered') {
    const generator = new TimeOrderedIdGenerator(context, `obj.${schema.keyName}`);
    onClose(() => generator.close());
    ids = generator;
  } else {
    ids = new IncrementalIdGenerator(context, `obj.${schema.keyName}`, { blockSize: 1000 }, idCounterKey(context.keys, schema.keyName));
  }
  return new Model<M>(modelInternals(context, schema), ids);
}
