import { describe, expectTypeOf, it } from 'vitest';
import { t } from '../../src/store/fields.js';
import type { IndexPlugin } from '../../src/store/fields.js';
import type { Model } from '../../src/store/model.js';
import type { FieldMap } from '../../src/store/types.js';
import { query } from '../../src/store/query.js';
import type { FieldOperators, Query, QueryPage, SortField, Where } from '../../src/store/query.js';

const _fields = {
  name: t.string().required().index(),
  score: t.number().sortable().default(0),
  born: t.date().sortable(),
  active: t.boolean().index(),
  tags: t.array(t.string()).index(),
  ranks: t.array(t.integer()).index(),
  meta: t.json<{ plan: 'free' | 'pro' }>(),
};
type Fields = typeof _fields;
declare const User: Model<Fields>;
type Row = typeof User.$infer;

describe('query types', () => {
  it('types where conditions by field value, arrays by member', () => {
    const ok = (): void => {
      query(User, { name: 'Ada', score: { gte: 1, lt: 5 }, born: { between: [new Date(0), new Date()] } });
      query(User, { name: { in: ['a', 'b'], prefix: 'A' }, active: true, tags: 'x', ranks: { in: [1, 2] } });
      query(User, { id: { prefix: 'u' }, $or: [{ name: 'a' }, { $not: { tags: { ne: 'y' } } }], $and: [{ score: 1 }] });
      query(User, { score: undefined });
    };
    const bad = (): void => {
      // @ts-expect-error unknown field
      query(User, { nope: 1 });
      // @ts-expect-error score is a number
      query(User, { score: 'high' });
      // @ts-expect-error range bound of the wrong type
      query(User, { score: { gt: '1' } });
      // @ts-expect-error dates compare with Dates
      query(User, { born: { gte: 0 } });
      // @ts-expect-error prefix only on strings
      query(User, { score: { prefix: '1' } });
      // @ts-expect-error booleans have no ranges
      query(User, { active: { gt: false } });
      // @ts-expect-error arrays match by member, not by array
      query(User, { tags: ['x'] });
      // @ts-expect-error in takes a list of member values
      query(User, { ranks: { in: ['1'] } });
      // @ts-expect-error unknown operator
      query(User, { name: { like: 'a%' } });
      // @ts-expect-error nested conditions are checked too
      query(User, { $or: [{ score: 'x' }] });
    };
    expectTypeOf(ok).toBeFunction();
    expectTypeOf(bad).toBeFunction();
    expectTypeOf<Where<Fields>['tags']>().toEqualTypeOf<string | FieldOperators<string> | undefined>();
  });

  it('types sorting, selection and results', () => {
    expectTypeOf<SortField<Fields>>().toEqualTypeOf<'id' | 'name' | 'score' | 'born'>();
    const q = query(User, { name: 'a' }).sortBy('score', 'desc').limit(10).offset(5);
    expectTypeOf(q).toEqualTypeOf<Query<Fields>>();
    expectTypeOf(q.all()).resolves.toEqualTypeOf<Row[]>();
    expectTypeOf(q.first()).resolves.toEqualTypeOf<Row | null>();
    expectTypeOf(q.ids()).resolves.toEqualTypeOf<string[]>();
    expectTypeOf(q.count()).resolves.toEqualTypeOf<number>();
    expectTypeOf(q.page()).resolves.toEqualTypeOf<QueryPage<Row>>();
    const picked = q.select(['name', 'born']);
    expectTypeOf(picked.all()).resolves.toEqualTypeOf<{ readonly id: string; name: string; born?: Date }[]>();
    expectTypeOf(picked.where({ score: 1 }).first()).resolves.toEqualTypeOf<{ readonly id: string; name: string; born?: Date } | null>();
    const bad = (): void => {
      // @ts-expect-error booleans, arrays and json do not sort
      q.sortBy('active');
      // @ts-expect-error arrays do not sort
      q.sortBy('tags');
      // @ts-expect-error direction is asc or desc
      q.sortBy('score', 'up');
      // @ts-expect-error only fields can be selected
      q.select(['nope']);
      // @ts-expect-error where() keeps the model's field types
      q.where({ name: 1 });
    };
    expectTypeOf(bad).toBeFunction();
  });

  it('serves generic code over Model<M>, as Model.find(where) will call it', () => {
    const find = <M extends FieldMap>(model: Model<M>, where?: Where<M>): Query<M> => query(model, where);
    expectTypeOf(find(User, { name: 'a' })).toEqualTypeOf<Query<Fields>>();
    // @ts-expect-error the where is checked against the model's fields
    find(User, { name: 1 });
  });
});

describe('plug-in index query types', () => {
  it('types match by the plug-in query, and only on fields that have one', () => {
    const plugin: IndexPlugin<string, { word: string }> = { kind: 'w', entries: () => [], lookup: () => [] };
    const _docFields = { title: t.string().index(), body: t.string().required().indexWith(plugin) };
    type Doc = Model<typeof _docFields>;
    const run = (Doc: Doc): void => {
      query(Doc, { body: { match: { word: 'redis' } }, title: 'x' });
      // @ts-expect-error the query type is the plug-in's
      query(Doc, { body: { match: 'redis' } });
      // @ts-expect-error no plug-in index on title
      query(Doc, { title: { match: { word: 'x' } } });
    };
    expectTypeOf(run).toBeFunction();
    expectTypeOf<Doc['$infer']>().toEqualTypeOf<{ readonly id: string; title?: string; body: string }>();
  });
});
