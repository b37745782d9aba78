/**
 * Would parsing on a worker thread take work off the main thread? The main thread must still
 * receive every parsed event: postMessage hands it over with V8's serializer, so the main
 * thread's share of a worker pipeline is at least v8.deserialize of the parsed batch. This
 * compares, per event and in one run, what the main thread pays today (UTF-8 decode is per
 * chunk; JSON.parse + validation per line) with what it would pay to receive the same events
 * already parsed: structured-clone deserialization of the batch.
 *
 * `node --import tsx bench/worker.ts [events]`; docs/performance.md records the result.
 */
import { deserialize, serialize } from 'node:v8';
import { pathToFileURL } from 'node:url';
import { parseLine } from '../shared/protocol/parseLine.ts';
import type { IngestEvent } from '../shared/protocol/events.ts';
import { hotLines } from './hotpath.ts';
import { stats } from './common.ts';
import type { Figure } from './common.ts';

function cpuUs(fn: () => void): number {
  const c0 = process.cpuUsage();
  fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

export function workerFigures(n: number, repeats: number): Figure[] {
  const text = hotLines(n, 'mixed').toString('utf8');
  const lines = text.split('\n').filter((l) => l !== '');
  const batches: IngestEvent[][] = [];
  const BATCH = 300; // about one 64 KiB chunk of these lines
  for (let i = 0; i < lines.length; i += BATCH) {
    const b: IngestEvent[] = [];
    for (const l of lines.slice(i, i + BATCH)) {
      const p = parseLine(l);
      if (p.kind === 'event') b.push(p.event);
    }
    batches.push(b);
  }
  const wire = batches.map((b) => serialize(b));
  const events = batches.reduce((a, b) => a + b.length, 0);
  const parse: number[] = [];
  const receive: number[] = [];
  for (let r = 0; r < repeats; r++) {
    parse.push(cpuUs(() => { for (const l of lines) parseLine(l); }) / lines.length);
    receive.push(cpuUs(() => { for (const w of wire) deserialize(w); }) / events);
  }
  const p = stats('main thread today: JSON.parse + validation per line (in process)', 'us/event', parse);
  const r = stats('main thread with a parsing worker: receive the parsed event (v8.deserialize, as postMessage does)', 'us/event', receive);
  return [p, { ...r, baseline: p.name, ratio: r.median / p.median, note: 'a worker only helps the main thread if this is well under the parse it replaces' }];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const f of workerFigures(Number(process.argv[2] ?? 200_000), 7)) console.log(`${f.name}: median ${f.median.toFixed(3)} min ${f.min.toFixed(3)} ${f.unit}${f.ratio ? ` (${f.ratio.toFixed(2)}x)` : ''}`);
}
