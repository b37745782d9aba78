/**
 * totals.json: the lifetime counts of runs no longer on disk, the tombstones of removed runs and
 * the logs already counted. Read back through a schema, never a cast: a damaged file (a wrong
 * type, a histogram with the wrong number of buckets, a negative count) would otherwise go
 * into /metrics as NaN or a counter that steps backwards. Storage moves a file that fails this
 * aside and says why (storage.ts recoverTotals).
 */
import { z } from 'zod';
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import type { Phase } from '../../../shared/protocol/events.ts';
import { RUN_STATES } from '../../../shared/run.ts';
import type { AgentTotals } from '../store/run.ts';

export const TOTALS_VERSION = 1;

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

const histogram = (phase: Phase) =>
  z.object({ counts: z.array(count).length(PHASE_METRIC[phase].buckets!.length + 1), sumMicros: count, count });

const agentTotals = z.object({
  created: count,
  completed: count,
  failed: count,
  cancelled: count,
  phases: z.object(Object.fromEntries(PHASES.map((p) => [p, histogram(p)])) as Record<Phase, ReturnType<typeof histogram>>),
});

const totalsSchema = z.object({
  version: z.literal(TOTALS_VERSION),
  agents: z.record(z.string().min(1), agentTotals),
  tombstones: z.array(z.tuple([z.string().min(1), z.string().min(1), z.enum(RUN_STATES)])).optional(),
  retired_files: z.array(z.string().min(1)),
});

export type TotalsFile = { agents: Record<string, AgentTotals> } & Omit<z.infer<typeof totalsSchema>, 'agents'>;

/** The file's content, or why it cannot be used: the first problem, with where it is. */
export function decodeTotals(text: string): { ok: true; totals: TotalsFile } | { ok: false; error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `not JSON: ${(err as Error).message}` };
  }
  const parsed = totalsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, error: `${issue.path.length > 0 ? issue.path.join('.') : 'the file'}: ${issue.message}` };
  }
  return { ok: true, totals: parsed.data };
}
