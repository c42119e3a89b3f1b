import { expect } from 'vitest';
import { InvalidArgumentError } from '../../src/core/errors.js';

/** What `run` threw; fails the test when it did not throw. */
export function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

/** The `field` of the InvalidArgumentError `run` threw; fails the test on any other outcome. */
export function invalidField(run: () => unknown): string {
  const error = caught(run);
  expect(error).toBeInstanceOf(InvalidArgumentError);
  return (error as InvalidArgumentError).field;
}
