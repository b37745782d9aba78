/**
 * Ingest's fair share of the event loop (streamServer.ts, TURN_BYTES and TURN_MS): a connection
 * that floods the engine as fast as it can pauses after 256 KiB (or 8 ms) of one turn, so
 * another connection's events and a scrape are served between the flood's chunks, not after
 * all of them. Real sockets; the flood comes from another process over the Unix socket, so it
 * keeps arriving while the engine reads (over loopback TCP the kernel hands a reader only ~95 KB
 * per turn here, under the cap, so TCP would not show the cap at work). Asserted on order and
 * counts (how much of the flood the store had applied at each turn and each moment), never on
 * wall-clock time.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { valueOf } from '../../helpers/exposition.ts';
import { StreamClient, scrape, testEngine } from '../../helpers/engine.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-fair-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What one connection may take from one turn (streamServer.ts TURN_BYTES), plus the read that crosses it (Node reads 64 KiB at most). */
const TURN_SHARE_BYTES = 256 * 1024 + 64 * 1024;

/**
 * Streams a file into the engine's Unix socket as fast as the socket takes it, reads the acks,
 * and exits 0 once `lastSeq` is acknowledged (1 on any other reply: every flood line must be accepted).
 */
const FLOODER = `
const net = require('node:net');
const fs = require('node:fs');
const [file, socketPath, lastSeq] = process.argv.slice(1);
const s = net.connect({ path: socketPath }, () => fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(s, { end: false }));
let buf = '';
s.on('data', (d) => {
  buf += d;
  let nl;
  while ((nl = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    if (!line.startsWith('{"type":"ack"')) { process.stderr.write(line + '\\n'); process.exit(1); }
    if (line === '{"type":"ack","seq":' + lastSeq + '}') s.end();
  }
});
`;

/**
 * Samples a count once per turn of the event loop: an immediate queued from an immediate runs in
 * the next turn, so each sample closes one turn (after its poll phase, where sockets are read).
 */
class PerTurn {
  readonly samples: number[] = [];
  private running = true;

  constructor(private readonly sample: () => number) {
    this.tick();
  }

  private tick = (): void => {
    if (!this.running) return;
    this.samples.push(this.sample());
    setImmediate(this.tick);
  };

  stop(): void {
    this.running = false;
  }

  /** The most the count grew in one turn. */
  maxGrowth(): number {
    let max = 0;
    for (let i = 1; i < this.samples.length; i++) max = Math.max(max, this.samples[i]! - this.samples[i - 1]!);
    return max;
  }
}

describe('one connection flooding the stream socket', () => {
  it("gets one share of each turn, and another connection's events and a scrape are served in between", async () => {
    const engine = await testEngine({ systemIntervalMs: 0, socketPath: path.join(tmp, 'tw.sock') });
    let turns: PerTurn | null = null;
    try {
      // The flood: one run, 100,000 training events (~10 MB), every line with a seq.
      const FLOOD_EVENTS = 100_000;
      const lines = [JSON.stringify({ type: 'job_created', job_id: 'flood', agent_id: 'flooder', seq: 1 })];
      for (let i = 1; i <= FLOOD_EVENTS; i++) lines.push(JSON.stringify({ type: 'training', job_id: 'flood', agent_id: 'flooder', loss: 1 / i, iteration: i, seq: i + 1 }));
      const floodFile = path.join(tmp, 'flood.ndjson');
      writeFileSync(floodFile, `${lines.join('\n')}\n`);
      /** The most flood events that fit in one turn's share (counted in the shortest training lines, plus the job_created). */
      const share = Math.ceil(TURN_SHARE_BYTES / Math.min(...lines.slice(1).map((l) => l.length + 1))) + 1;

      // The probe: a handful of events on a second connection, sent once the flood is well under way.
      const probe = await StreamClient.connect(engine.ingest.socket!);
      const PROBE = { job_id: 'probe', agent_id: 'prober' };
      const probeText = [
        { type: 'job_created', ...PROBE },
        ...[1, 2, 3].map((i) => ({ type: 'training', ...PROBE, loss: 1 / (i + 1), iteration: i })),
        { type: 'job_completed', ...PROBE },
      ]
        .map((e, i) => `${JSON.stringify({ ...e, seq: i + 1 })}\n`)
        .join('');

      const floodApplied = () => engine.store.get('flood')?.eventCount ?? 0;
      let sentAt: number | null = null;
      const appliedAt: number[] = [];
      engine.store.listen({
        changed: (id) => {
          // Written from inside the flood's own processing: the probe's bytes wait to be read while the flood's do.
          if (id === 'flood' && sentAt === null && floodApplied() >= 2_000) {
            sentAt = floodApplied();
            probe.write(probeText);
          }
          if (id === 'probe') appliedAt.push(floodApplied());
        },
      });

      turns = new PerTurn(floodApplied);
      const flooder = spawn(process.execPath, ['-e', FLOODER, floodFile, engine.ingest.socket!, String(FLOOD_EVENTS + 1)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let flooderErr = '';
      flooder.stderr!.on('data', (d: Buffer) => (flooderErr += d.toString()));
      const flooderExit = new Promise<number | null>((resolve) => flooder.on('exit', resolve));

      await probe.until(() => probe.replies.some((r) => r.type === 'ack' && r.seq === 5), 60_000);
      const ackedAt = floodApplied();
      const scraped = await scrape(engine);
      const scrapedAt = floodApplied();
      expect([await flooderExit, flooderErr]).toEqual([0, '']);
      turns.stop();

      // The premise: every flood event was applied, over many turns, and the probe was sent in their midst.
      expect(floodApplied()).toBe(FLOOD_EVENTS + 1);
      expect(sentAt).toBe(2_000);
      // The flood never had more than its share of a turn.
      expect(turns.maxGrowth()).toBeLessThanOrEqual(share);
      // The probe's events were applied at most two shares of the flood later (the rest of the turn it was sent in, and the next).
      expect(appliedAt).toHaveLength(5);
      expect(appliedAt[0]! - sentAt!).toBeLessThanOrEqual(2 * share);
      // Acknowledged (on disk) and scraped while the flood was still being consumed.
      expect(probe.replies).toEqual([{ type: 'ack', seq: 5 }]);
      expect(ackedAt).toBeLessThan(FLOOD_EVENTS);
      expect(scrapedAt).toBeLessThan(FLOOD_EVENTS);
      expect(scraped.status).toBe(200);
      expect(valueOf(scraped.exp, 'training_loss', { job_id: 'probe', agent_id: 'prober' })).toBe(0.25);
      expect(valueOf(scraped.exp, 'training_jobs_completed_total', { agent_id: 'prober' })).toBe(1);
      await probe.close();
    } finally {
      turns?.stop();
      await engine.dispose();
    }
  }, 120_000);
});
