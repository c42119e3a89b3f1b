import { t } from '../../src/store/fields.js';

/** A model definition with every index kind, shared by the store tests. */
export const everyIndexFields = {
  name: t.string().index(),
  email: t.string().unique({ caseInsensitive: true }),
  handle: t.string().index({ caseInsensitive: true }),
  title: t.string().sortable(),
  score: t.number().sortable(),
  rank: t.integer().index(),
  born: t.date().sortable(),
  active: t.boolean().index(),
  tags: t.array(t.string()).index(),
  owner: t.string(),
  tenant: t.string(),
  note: t.string(),
  meta: t.json(),
};

/** Compound index and multi-field unique options matching {@link everyIndexFields}. */
export const everyIndexOptions = {
  indexes: { byOwnerBorn: { fields: ['owner', 'born'] as ('owner' | 'born')[] }, byOwnerTitle: { fields: ['owner', 'title'] as ('owner' | 'title')[] } },
  unique: { tenantHandle: ['tenant', 'handle'] as ('tenant' | 'handle')[] },
};

/** Strings that try to break key names, tags, globs, Lua and JSON. */
export const NASTY_STRINGS = ['{', '}', '{a}', ':', '*', '?', '[x]', '\0', 'a\0b', '😀', 'Ünïcödé café', '%41', ' ', '', "'); redis.call('FLUSHALL') --", '\\', '"'];
