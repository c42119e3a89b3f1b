export { Kickass, kickass } from './kickass.js';
export type { KickassOptions } from './kickass.js';
export * from './core/index.js';
export * from './ids/index.js';
export * from './store/index.js';
