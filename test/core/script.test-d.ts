import { describe, expectTypeOf, it } from 'vitest';
import { defineScript } from '../../src/core/script.js';
import type { ScriptArgs, ScriptKeys, ScriptReply } from '../../src/core/script.js';
import type { ScriptRunner } from '../../src/core/script-runner.js';
import type { reserveBlockScript } from '../../src/ids/scripts/index.generated.js';

const script = defineScript<['counter', 'log'], ['by'], number>({
  name: 'typed',
  keys: ['counter', 'log'],
  args: ['by'],
  readOnly: false,
  source: 'return 1',
});

describe('script typing', () => {
  it('infers named keys, args and the reply from the descriptor', () => {
    expectTypeOf<ScriptKeys<typeof script>>().toEqualTypeOf<Record<'counter' | 'log', string>>();
    expectTypeOf<ScriptArgs<typeof script>>().toEqualTypeOf<Record<'by', string | number | bigint | Buffer>>();
    expectTypeOf<ScriptReply<typeof script>>().toEqualTypeOf<number>();
    expectTypeOf<ScriptReply<typeof reserveBlockScript>>().toEqualTypeOf<string>();
  });

  it('rejects missing or unknown keys at compile time', () => {
    const run = (runner: ScriptRunner): void => {
      expectTypeOf(runner.run(script, { counter: 'a', log: 'b' }, { by: 1 })).resolves.toEqualTypeOf<number>();
      // @ts-expect-error the 'log' key is missing
      void runner.run(script, { counter: 'a' }, { by: 1 });
      // @ts-expect-error 'step' is not an argument of this script
      void runner.run(script, { counter: 'a', log: 'b' }, { step: 1 });
    };
    expectTypeOf(run).toBeFunction();
  });
});
