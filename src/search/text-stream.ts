import { describeValue, InvalidArgumentError } from '../core/errors.js';
import type { Token } from './analyzer.js';

/** Separates the terms of a stored token stream (ASCII unit separator; never part of a term). */
export const STREAM_SEPARATOR = '\u001f';
/** Longest indexed term, in characters. */
export const MAX_TERM_LENGTH = 256;
/** Largest word position a text may reach. */
export const MAX_POSITION = 1_000_000;
const CONTROL = /\p{Cc}/u;

/**
 * The token stream stored with a text value (`$w:<field>`), from which the write scripts derive
 * postings, term frequencies, the length and, for phrases, positions: the term at each position,
 * an empty string where the analyzer dropped a word, joined by {@link STREAM_SEPARATOR}.
 */
export function tokenStream(tokens: readonly Token[], field: string): string {
  const slots: string[] = [];
  for (const token of tokens) {
    const { term, position } = token;
    if (typeof term !== 'string' || term === '' || term.length > MAX_TERM_LENGTH || CONTROL.test(term) || !term.isWellFormed()) {
      throw new InvalidArgumentError(field, `the analyzer returned a bad term ${describeValue(term)}: terms are 1-${String(MAX_TERM_LENGTH)} well-formed characters without control characters`);
    }
    if (!Number.isSafeInteger(position) || position < slots.length || position > MAX_POSITION) {
      throw new InvalidArgumentError(field, `the analyzer returned position ${String(position)}: positions must increase and stay below ${String(MAX_POSITION)}`);
    }
    while (slots.length < position) slots.push('');
    slots.push(term);
  }
  return slots.join(STREAM_SEPARATOR);
}

/** The terms of a stored stream by position ('' where a word was dropped). */
export function streamTerms(stream: string): string[] {
  return stream.split(STREAM_SEPARATOR);
}
