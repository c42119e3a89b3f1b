export { startDashboard } from './server.js';
export type { Dashboard, DashboardOptions } from './server.js';
export type { DashboardSource } from './api.js';
export { analysable, toCatalog } from '../cli/catalog.js';
export type { AnyUniqueCounter, Catalog, CatalogModel } from '../cli/catalog.js';
export { demoCatalog, demoComponents, seedDemo } from '../cli/demo-data.js';
export type { DemoComponents, DemoSize, DemoSummary } from '../cli/demo-data.js';
