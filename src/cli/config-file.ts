import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Kickass } from '../kickass.js';
import { UsageError } from './args.js';

/** What a config module gives: a function of a kickass instance, and how to reach Redis. */
export interface ConfigModule {
  /** `export default (kr) => ({ models: [...], ... })` (or a sync's options). */
  readonly build: (kr: Kickass) => unknown;
  /** `export const redis = { url, prefix }` (optional; --url and REDIS_URL win over url). */
  readonly redis: { readonly url?: string; readonly prefix?: string };
}

/** Imports a config module (.js/.mjs, or .ts/.mts with tsx installed). */
export async function loadConfigModule(file: string): Promise<ConfigModule> {
  const path = resolve(file);
  if (!existsSync(path)) throw new UsageError(`the config file ${file} does not exist`);
  let loaded: Record<string, unknown>;
  try {
    loaded = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  } catch (error) {
    // plain Node cannot import TypeScript: tsx can, when the project has it
    if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    let api: { tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>> };
    try {
      api = await import('tsx/esm/api');
    } catch {
      throw new UsageError(`${file} is TypeScript: install tsx (npm i -D tsx) or write the config as .mjs`);
    }
    loaded = await api.tsImport(pathToFileURL(path).href, import.meta.url);
  }
  const build = loaded.default;
  if (typeof build !== 'function') throw new UsageError(`${file} must export default a function (kr) => ({ models, uniqueCounters, ... })`);
  const redis = (loaded.redis ?? {}) as ConfigModule['redis'];
  return { build: build as ConfigModule['build'], redis };
}
