/**
 * Scenario "lua-costs": what the work of a ranked text query costs on this machine, inside a
 * script and from the client, in microseconds per unit. The text index ranks in Lua (one atomic
 * script per partition), so these unit costs bound how fast an exact top-k of common words can
 * be: it must touch the best postings of each word and look candidates up in the other words.
 * Data: 64 generated posting buckets of 100 members (ids like `pkg-12345`), scored like postings
 * (length * 1024 + tf) or like impact-ordered head entries (about 2^40).
 * Inside a script (EVAL, TIME around 2,000 repetitions): one call that does nothing (ZCARD), a
 * ZRANGE of 100 postings with scores (both kinds) and without, one ZMSCORE per id, a Lua table
 * per object, and a threshold-algorithm step: read 100 postings and note each one's length and
 * BM25 part in maps. From the client (ioredis, one pipeline): ZMSCORE commands of one id each.
 */
import { Redis } from 'ioredis';
import { makeRow } from './stats.js';
import type { BenchContext, BenchRow, BenchScenario } from './types.js';

const BUCKETS = 64;
const PER_BUCKET = 100;
const REPEAT = 2000;

/** Microseconds per unit of each measurement, from one EVAL (TIME before and after each loop). */
const PROBE = `
local function now() local t = redis.call('TIME'); return t[1] * 1e6 + t[2] end
local small, big, R = KEYS[1], KEYS[2], tonumber(ARGV[1])
local ids = redis.call('ZRANGE', small, 0, -1)
local out = {}
local t = now()
for i = 1, R do redis.call('ZCARD', small) end
out[#out + 1] = (now() - t) / R
t = now()
for i = 1, R do redis.call('ZRANGE', small, 0, -1, 'WITHSCORES') end
out[#out + 1] = (now() - t) / R / #ids
t = now()
for i = 1, R do redis.call('ZRANGE', big, 0, -1, 'WITHSCORES') end
out[#out + 1] = (now() - t) / R / #ids
t = now()
for i = 1, R do redis.call('ZRANGE', small, 0, -1) end
out[#out + 1] = (now() - t) / R / #ids
t = now()
for i = 1, R do redis.call('ZMSCORE', small, ids[(i % #ids) + 1]) end
out[#out + 1] = (now() - t) / R
t = now()
local made = {}
for i = 1, R * 10 do made[ids[(i % #ids) + 1] .. i] = { n = 0 } end
out[#out + 1] = (now() - t) / (R * 10)
t = now()
local lens, parts, order, seen = {}, {}, {}, {}
for i = 1, R / 10 do
  local flat = redis.call('ZRANGE', big, 0, -1, 'WITHSCORES')
  for j = 1, #flat, 2 do
    local s = tonumber(flat[j + 1])
    local tf = s % 1024
    local rest = (s - tf) / 1024
    local len = rest % 1048576
    local id = flat[j] .. (i % 50)
    if not seen[id] then
      seen[id] = true
      order[#order + 1] = id
    end
    lens[id] = len
    parts[id] = 2.5 * tf * 2.2 / (tf + 1.2 * (0.25 + 0.75 * len / 42))
  end
end
out[#out + 1] = (now() - t) / (R / 10) / #ids
for i, v in ipairs(out) do out[i] = string.format('%.4f', v) end
return out
`;

const LABELS = [
  'in a script: one redis.call (ZCARD), us',
  'in a script: ZRANGE WITHSCORES, posting scores (~2^16), us per posting',
  'in a script: ZRANGE WITHSCORES, head scores (~2^40), us per posting',
  'in a script: ZRANGE without scores, us per member',
  'in a script: ZMSCORE of one id, us per lookup',
  'in a script: a new Lua table per object, us',
  'in a script: read a posting and note its length and part, us per posting',
] as const;

const scenario: BenchScenario = {
  name: 'lua-costs',
  description: 'unit costs of ranked-query work inside a script and from the client (us per unit)',
  async run(ctx: BenchContext): Promise<BenchRow[]> {
    const raw = new Redis(ctx.url);
    const tag = `{${ctx.prefix}:lua}`;
    const values: number[][] = LABELS.map(() => []);
    const client: number[] = [];
    try {
      for (let b = 0; b < BUCKETS; b++) {
        const small: (string | number)[] = [];
        const big: (string | number)[] = [];
        for (let i = 0; i < PER_BUCKET; i++) {
          const len = 10 + ((b * 7 + i * 13) % 90);
          const tf = 1 + (i % 3);
          const id = `pkg-${String(b * PER_BUCKET + i)}`;
          small.push(len * 1024 + tf, id);
          big.push((1000 + i) * 1073741824 + len * 1024 + tf, id);
        }
        await raw.zadd(`${tag}:s:${String(b)}`, ...small);
        await raw.zadd(`${tag}:b:${String(b)}`, ...big);
      }
      for (let run = 0; run < ctx.runs; run++) {
        const reply = (await raw.eval(PROBE, 2, `${tag}:s:0`, `${tag}:b:0`, String(REPEAT))) as string[];
        reply.forEach((v, i) => values[i]?.push(Number(v)));
        // from the client: 200 single-id ZMSCOREs in one pipeline, as a client-side ranking would send
        const ids = await raw.zrange(`${tag}:s:0`, '0', '-1');
        const start = process.hrtime.bigint();
        for (let rep = 0; rep < 20; rep++) {
          const pipe = raw.pipeline();
          for (let i = 0; i < 200; i++) pipe.zmscore(`${tag}:s:${String(i % BUCKETS)}`, ids[i % ids.length] as string);
          await pipe.exec();
        }
        client.push(Number(process.hrtime.bigint() - start) / 1e3 / (20 * 200));
        ctx.log(`run ${String(run + 1)}/${String(ctx.runs)}: ${values.map((v) => (v.at(-1) ?? 0).toFixed(2)).join(' / ')} / client ${(client.at(-1) ?? 0).toFixed(2)} us`);
      }
    } finally {
      const keys = await raw.keys(`${tag}:*`);
      if (keys.length > 0) await raw.unlink(...keys);
      raw.disconnect();
    }
    return [
      ...LABELS.map((metric, i) => makeRow({ metric, unit: 'us', ours: values[i] as number[], better: 'lower' })),
      makeRow({ metric: 'from the client: one ZMSCORE of one id in a pipeline (ioredis), us', unit: 'us', ours: client, better: 'lower' }),
    ];
  },
};

export default scenario;
