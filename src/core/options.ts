import { InvalidArgumentError } from './errors.js';

/** An options argument checked at run time: undefined gives `{}`, an object is kept, anything else (null too) is an InvalidArgumentError naming `field`. */
export function optionsObject<T extends object>(value: T | undefined, field = 'options'): T {
  const given: unknown = value;
  if (given === undefined) return {} as T;
  if (typeof given !== 'object' || given === null || Array.isArray(given)) throw new InvalidArgumentError(field, 'must be an object');
  return value as T;
}
