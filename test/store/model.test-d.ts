import { describe, expectTypeOf, it } from 'vitest';
import { t } from '../../src/store/fields.js';
import type { Model } from '../../src/store/model.js';

const _fields = {
  name: t.string().required(),
  email: t.string().unique(),
  score: t.number().sortable().default(0),
  born: t.date(),
  tags: t.array(t.string()).index(),
  meta: t.json<{ plan: 'free' | 'pro' }>(),
  age: t.integer().required().default(18),
};
declare const User: Model<typeof _fields>;

describe('model type inference', () => {
  it('infers the stored row: id, always-present fields, optional ones', () => {
    expectTypeOf<typeof User.$infer>().toEqualTypeOf<{
      readonly id: string;
      name: string;
      score: number;
      age: number;
      email?: string;
      born?: Date;
      tags?: string[];
      meta?: { plan: 'free' | 'pro' };
    }>();
  });

  it('infers create input: required fields without a default must be given', () => {
    expectTypeOf<typeof User.$create>().toEqualTypeOf<{
      id?: string;
      name: string;
      email?: string;
      score?: number;
      born?: Date;
      tags?: string[];
      meta?: { plan: 'free' | 'pro' };
      age?: number;
    }>();
    const check = async (): Promise<void> => {
      await User.create({ name: 'Ada' });
      // @ts-expect-error name is required
      await User.create({ email: 'a@x.io' });
      // @ts-expect-error score is a number
      await User.create({ name: 'Ada', score: '3' });
      // @ts-expect-error unknown field
      await User.create({ name: 'Ada', nope: 1 });
    };
    expectTypeOf(check).toBeFunction();
  });

  it('infers update input: optional fields can be unset with null, required ones cannot', () => {
    const check = async (): Promise<void> => {
      await User.update('1', { email: null, score: 2 });
      // @ts-expect-error a required field cannot be unset
      await User.update('1', { name: null });
      await User.increment('1', 'score', 2);
      // @ts-expect-error only numeric fields can be incremented
      await User.increment('1', 'name', 2);
    };
    expectTypeOf(check).toBeFunction();
    expectTypeOf(User.get('1')).resolves.toEqualTypeOf<typeof User.$infer | null>();
  });
});
