/** The raw values of one run: our figure and the competitor's, measured in the same run. */
export interface BenchRun {
  /** Our value in this run. */
  ours: number;
  /** The competitor's value in this run; null where there is no competitor. */
  theirs: number | null;
}

/** One line of a scenario's result, as printed and as written to bench/results/<name>.json. */
export interface BenchRow {
  /** What is measured, e.g. 'ids/s, block 1000, next()'. */
  metric: string;
  /** Unit of ours and theirs, e.g. 'ids/s'. */
  unit: string;
  /** Median of our per-run values. */
  ours: number;
  /** What we are compared against, e.g. 'one INCR per id'; null without a competitor. */
  competitor: string | null;
  /** Median of the competitor's per-run values; null without a competitor. */
  theirs: number | null;
  /** ours / theirs, oriented so bigger is better (theirs / ours for lower-is-better units); null without a competitor. */
  ratio: number | null;
  /** The figure we aim for, in words, e.g. '>= 1,000,000 ids/s'; null when there is none. */
  goal: string | null;
  /** Every run's raw values, in run order; ours and theirs are their medians. */
  runs: BenchRun[];
}

/** What the runner hands a scenario. */
export interface BenchContext {
  /** How many measured runs each figure gets (`--runs N`, default 5). */
  readonly runs: number;
  /** URL of the standalone server (REDIS_URL, or the throwaway server the runner started). */
  readonly url: string;
  /**
   * `redis+cluster://host:port,...` of a cluster (REDIS_CLUSTER_NODES, or one the runner started);
   * only set for scenarios with `needsCluster`.
   */
  readonly clusterUrl: string | undefined;
  /**
   * A random key prefix for this run. Every key a scenario writes must start with `{<prefix>:`
   * (what `kickass({ prefix })` does), so the runner can remove them from servers it did not start.
   */
  readonly prefix: string;
  /** Prints a progress line (to stderr, so the table on stdout stays clean). */
  log(message: string): void;
}

/** A benchmark scenario: the default export of bench/<name>.ts. */
export interface BenchScenario {
  /** The scenario's name: the file name without `.ts`. */
  name: string;
  /** One sentence on what is measured and against what. */
  description: string;
  /** Start (or use REDIS_CLUSTER_NODES for) a Redis Cluster too. */
  needsCluster?: boolean;
  /** Measures every figure `ctx.runs` times and returns one row per figure. */
  run(ctx: BenchContext): Promise<BenchRow[]>;
}
