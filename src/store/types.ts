import type { AnyField, Field } from './fields.js';

/** The fields of a model: name to builder. */
export type FieldMap = Record<string, AnyField>;

/** Flattens an intersection for readable hover types. */
export type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The value type of a field builder. */
export type FieldValue<F> = F extends Field<infer T, boolean, boolean> ? T : never;

type IsRequired<F> = F extends Field<unknown, true, boolean> ? true : false;
type HasDefault<F> = F extends Field<unknown, boolean, true> ? true : false;
type AlwaysPresent<F> = IsRequired<F> extends true ? true : HasDefault<F>;

type PresentKeys<M extends FieldMap> = { [K in keyof M]: AlwaysPresent<M[K]> extends true ? K : never }[keyof M];
type OptionalKeys<M extends FieldMap> = Exclude<keyof M, PresentKeys<M>>;
type CreateRequiredKeys<M extends FieldMap> = {
  [K in keyof M]: IsRequired<M[K]> extends true ? (HasDefault<M[K]> extends true ? never : K) : never;
}[keyof M];

/** A stored object as reads return it: `id`, always-present fields, optional ones possibly absent. */
export type RowOf<M extends FieldMap> = Simplify<
  { readonly id: string } & { [K in PresentKeys<M>]: FieldValue<M[K]> } & { [K in OptionalKeys<M>]?: FieldValue<M[K]> }
>;

/** What `create` takes: required fields without a default must be given; `id` only for natural keys. */
export type CreateInputOf<M extends FieldMap> = Simplify<
  { id?: string } & { [K in CreateRequiredKeys<M>]: FieldValue<M[K]> } & {
    [K in Exclude<keyof M, CreateRequiredKeys<M>>]?: FieldValue<M[K]>;
  }
>;

/** What `update` takes: any subset of fields; `null` unsets an optional field. */
export type UpdateInputOf<M extends FieldMap> = Simplify<
  { [K in PresentKeys<M>]?: FieldValue<M[K]> } & { [K in OptionalKeys<M>]?: FieldValue<M[K]> | null }
>;

/** Names of fields whose value is a number (for `increment`). */
export type NumericFieldOf<M extends FieldMap> = { [K in keyof M]: FieldValue<M[K]> extends number ? K : never }[keyof M] & string;
