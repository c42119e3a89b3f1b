import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1f2937; background: #f8fafc; }
header { background: #111827; color: #f9fafb; padding: 12px 20px; display: flex; gap: 16px; align-items: baseline; }
header h1 { font-size: 18px; margin: 0; } header span { color: #9ca3af; }
nav a { color: #93c5fd; margin-right: 12px; }
main { padding: 0 20px 40px; max-width: 1100px; }
section { margin-top: 24px; } h2 { border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
table { border-collapse: collapse; margin: 6px 0; } th, td { padding: 3px 8px; text-align: right; border-bottom: 1px solid #e5e7eb; }
th:first-child, td:first-child { text-align: left; }
.card { background: #fff; border: 1px solid #e5e7eb; border-radius: 6px; padding: 10px 14px; margin: 10px 0; }
.query { display: flex; gap: 6px; align-items: flex-start; margin: 8px 0; } textarea { width: 320px; font-family: monospace; }
.heatmap td { min-width: 52px; text-align: center; }
.step, .node { display: flex; align-items: center; gap: 10px; width: 100%; margin: 3px 0; background: none; border: 0; padding: 0; font: inherit; text-align: left; }
.node { cursor: pointer; } .node:hover .fill { background: #1d4ed8; }
.label { width: 260px; } .track { flex: 1; background: #e5e7eb; height: 16px; border-radius: 3px; } .fill { background: #3b82f6; height: 100%; border-radius: 3px; }
.crumbs { margin: 6px 0; } .crumb { margin-right: 4px; } .crumb::after { content: ' /'; }
svg#series rect { fill: #3b82f6; } .error { color: #b91c1c; }
`;

/** The dashboard's single page: markup, style and script in one response. */
export const DASHBOARD_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kickass-redis dashboard</title><style>${STYLE}</style></head>
<body>
<header><h1>kickass-redis</h1><span id="server">loading...</span><span id="mode"></span></header>
<main>
<nav><a href="#models-section">models</a><a href="#counters-section">unique counters</a><a href="#hierarchies-section">hierarchical counters</a><a href="#caches-section">caches</a><a href="#sync-section">sync</a><a href="#keys-section">keys</a></nav>
<section id="models-section"><h2>Models</h2><div id="models"></div></section>
<section id="counters-section"><h2>Unique counters</h2><div id="counters"></div></section>
<section id="hierarchies-section"><h2>Hierarchical counters</h2><div id="hierarchies"></div></section>
<section id="caches-section"><h2>Caches</h2><div id="caches"></div></section>
<section id="sync-section"><h2>Sync</h2><div id="sync"></div></section>
<section id="keys-section"><h2>Keys and memory</h2><div id="keys"></div></section>
</main>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
