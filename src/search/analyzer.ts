import snowball from 'snowball-stemmers';
import { deu, eng, fra, rus, spa } from 'stopword';
import { InvalidArgumentError } from '../core/errors.js';

/** Languages with built-in stopwords and Snowball stemming; 'none' only splits and folds. */
export type Language = 'english' | 'french' | 'german' | 'spanish' | 'russian' | 'none';

/** One indexed word of a text. */
export interface Token {
  /** The normalized term (folded, stemmed). */
  readonly term: string;
  /** Word position in the text; removed stopwords keep theirs, so phrases see the gap. */
  readonly position: number;
  /** UTF-16 offsets of the word in the original text (for highlighting). */
  readonly start: number;
  readonly end: number;
}

/** Turns text into tokens; documents and queries must go through the same one. */
export interface Analyzer {
  /** A name that changes whenever the output could change (stored with an index). */
  readonly name: string;
  /** The words of a text as index tokens (normalized, stopwords out, stemmed), with their positions. */
  analyze(text: string): Token[];
  /** Normalizes one query word the way analyze() normalizes words (null: a stopword or nothing left). */
  term(word: string): string | null;
  /** Normalizes the start of a word for prefix matching: folded like analyze() does, never stemmed (null: nothing left). */
  prefix(word: string): string | null;
}

/** Options of {@link createAnalyzer}. */
export interface AnalyzerOptions {
  /** Stopwords and stemming rules. @defaultValue 'english' */
  language?: Language;
  /** Drop the language's stopwords (true), keep every word (false), or drop these words. @defaultValue true */
  stopwords?: boolean | readonly string[];
  /** Reduce words to their Snowball stem. @defaultValue true (false for 'none') */
  stem?: boolean;
  /** Strip accents and other combining marks after stemming ("café" -> "cafe"). @defaultValue true */
  foldAccents?: boolean;
  /** Words longer than this many characters are not indexed. @defaultValue 64 */
  maxLength?: number;
}

const LOCALES: Readonly<Record<Language, string | undefined>> = { english: 'en', french: 'fr', german: 'de', spanish: 'es', russian: 'ru', none: undefined };
const STOPWORDS: Readonly<Record<Language, readonly string[]>> = { english: eng, french: fra, german: deu, spanish: spa, russian: rus, none: [] };
const LANGUAGES = Object.keys(LOCALES) as Language[];
/** French elided articles and pronouns glued to the next word by an apostrophe. */
const FRENCH_ELISION = /^(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu)['’]/u;
const MARKS = /\p{M}+/gu;
const WORDISH = /[\p{L}\p{N}]/u;
/** Whitespace-separated chunks (and folded words) whose words an analyzer remembers. */
const CHUNK_CACHE = 100_000;
/**
 * ASCII whitespace: always a word boundary for UAX #29 (no rule joins across it), so a text's
 * words are the words of its chunks between whitespace, and a chunk seen before needs no
 * segmenting (the analyzer test compares with segmenting whole texts).
 */
const CHUNK = /[^ \t\n\r\f\v]+/g;
/** One word of a chunk: its term (null: dropped) and UTF-16 offsets in the chunk. */
interface ChunkWord {
  readonly term: string | null;
  readonly start: number;
  readonly end: number;
}


/** The value of `key` in a bounded cache (emptied when full), computed on a miss. */
function remembered<V>(cache: Map<string, V>, key: string, compute: (key: string) => V): V {
  let value = cache.get(key);
  if (value === undefined) {
    value = compute(key);
    if (cache.size >= CHUNK_CACHE) cache.clear();
    cache.set(key, value);
  }
  return value;
}

function fold(word: string): string {
  return word.normalize('NFKC').toLowerCase();
}

function stripMarks(word: string): string {
  return word.normalize('NFD').replace(MARKS, '').normalize('NFC');
}

/**
 * Creates an analyzer: Unicode word segmentation (Intl.Segmenter, so CJK text splits into words),
 * NFKC and lower case, the language's stopwords, Snowball stemming, then accent folding.
 */
export function createAnalyzer(options: AnalyzerOptions = {}): Analyzer {
  const language = options.language ?? 'english';
  if (!LANGUAGES.includes(language)) throw new InvalidArgumentError('language', `must be one of ${LANGUAGES.join(', ')}`);
  const maxLength = options.maxLength ?? 64;
  if (!Number.isSafeInteger(maxLength) || maxLength < 1 || maxLength > 512) throw new InvalidArgumentError('maxLength', 'must be an integer from 1 to 512');
  const list = options.stopwords ?? true;
  if (typeof list !== 'boolean' && (!Array.isArray(list) || list.some((w) => typeof w !== 'string'))) {
    throw new InvalidArgumentError('stopwords', 'must be true, false or an array of words');
  }
  const stopwords = new Set((list === true ? STOPWORDS[language] : list === false ? [] : list).map(fold));
  const stemmer = (options.stem ?? language !== 'none') && language !== 'none' ? snowball.newStemmer(language) : null;
  const foldAccents = options.foldAccents ?? true;
  const segmenter = new Intl.Segmenter(LOCALES[language], { granularity: 'word' });
  const name = [language, list === true ? 'stop' : list === false ? 'all' : `stop${String(stopwords.size)}`, stemmer ? 'stem' : 'raw', foldAccents ? 'fold' : 'marks', String(maxLength)].join(':');

  /** The term of one folded word, or null for a stopword or a word too long. */
  const normalize = (folded: string): string | null => {
    let word = folded;
    if (language === 'french') word = word.replace(FRENCH_ELISION, '');
    if (word === '' || stopwords.has(word) || word.length > maxLength) return null;
    const stem = stemmer ? stemmer.stem(word) : word;
    const term = foldAccents ? stripMarks(stem) : stem;
    return term === '' ? null : term;
  };

  const terms = new Map<string, string | null>();
  const chunks = new Map<string, readonly ChunkWord[]>();

  /** The words of a text segmented whole (a word is a segment with a letter or digit: ICU's isWordLike depends on the neighbours). */
  const segmentWords = (text: string): ChunkWord[] => {
    const out: ChunkWord[] = [];
    // words repeat (Zipf) and stemming costs microseconds: the term of a folded word is remembered
    for (const { segment, index } of segmenter.segment(text)) {
      if (WORDISH.test(segment)) out.push({ term: remembered(terms, fold(segment), normalize), start: index, end: index + segment.length });
    }
    return out;
  };

  return Object.freeze({
    name,
    analyze(text: string): Token[] {
      if (typeof text !== 'string') throw new InvalidArgumentError('text', 'must be a string');
      const tokens: Token[] = [];
      let position = 0;
      const push = (list: readonly ChunkWord[], offset: number): void => {
        for (const word of list) {
          if (word.term !== null) tokens.push({ term: word.term, position, start: offset + word.start, end: offset + word.end });
          position++;
        }
      };
      for (const match of text.matchAll(CHUNK)) push(remembered(chunks, match[0], segmentWords), match.index);
      return tokens;
    },
    term(word: string): string | null {
      const [first] = this.analyze(word);
      return first?.term ?? null;
    },
    prefix(word: string): string | null {
      let folded = fold(word);
      if (language === 'french') folded = folded.replace(FRENCH_ELISION, '');
      const start = foldAccents ? stripMarks(folded) : folded;
      return start === '' ? null : start;
    },
  });
}
