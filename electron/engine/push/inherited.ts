/**
 * Pushed samples of the inherited metric names (the original module's prometheus_client
 * registry) become protocol events for runs, so a script that still calls push_to_gateway shows
 * up as runs in the UI and in the engine's own `training_*` series. Nothing here is re-exposed:
 * those names belong to the engine's catalog.
 *
 * What maps, and how (docs/clients.md has the user's version):
 * - Per-job gauges `{agent_id, job_id}`: a job new to the engine gets `job_created` (with
 *   `training_iteration_total` and `training_budget_limit_usd` as its metadata); then, for values
 *   that differ from the run's, `progress` (iteration current/total), `budget` (usage/limit) and
 *   `training` (loss/reward, NaN and ±Inf included). A push that changes nothing sends a
 *   `heartbeat`, so a pushing job stays alive. `training_budget_utilization_percent` is derived
 *   by the engine and ignored.
 * - The four duration histograms `{agent_id}`: the increase since this group's previous push is
 *   rebuilt as `duration` events for the agent's one running job in the push, one per
 *   observation, placed inside the bucket it was counted in, with values chosen so `_sum` matches
 *   where that is possible. Bucket counts and `_count` are exact; the individual durations (and
 *   so the run's duration series) are reconstructed, not measured. Not mapped when the push
 *   names no running job or several for that agent, when the buckets differ from the catalog's,
 *   or when one push adds more than MAX_OBSERVATIONS observations to a series.
 * - The lifecycle counters `{agent_id}`: when, since this group's previous push, exactly one of
 *   completed/failed/cancelled went up by exactly one and the push names exactly one running job
 *   of that agent, that job gets the terminal event. Anything else is reported as not mapped:
 *   the counters say how many jobs ended, not which. `training_jobs_created_total` maps through
 *   the per-job gauges (a new job_id is a created job); `training_jobs_active` is derived by the
 *   engine from run states.
 * - prometheus_client's `<name>_created` companions of the inherited counters and histograms
 *   carry creation timestamps only and are ignored.
 *
 * Increases are computed per push group against the values the group pushed last; a value lower
 * than last time is read as a restarted process (its counters start again from zero).
 */
import { encodeJson } from '../../../shared/api.ts';
import { METRICS, PHASE_METRIC } from '../../../shared/catalog.ts';
import type { MetricDef } from '../../../shared/catalog.ts';
import { PHASES } from '../../../shared/protocol/events.ts';
import type { Phase, ServerLine } from '../../../shared/protocol/events.ts';
import { IngestSession } from '../ingest/session.ts';
import type { IngestContext } from '../ingest/session.ts';
import type { Run } from '../store/runStore.ts';
import type { GroupingKey } from './groupingKey.ts';
import { describeSeries, parseFloatValue } from './textFormat.ts';
import type { PushedFamily, PushedSample } from './textFormat.ts';

/** Observations one push may add to one histogram series before the series is left unmapped. */
export const MAX_OBSERVATIONS = 10_000;
/** Push groups whose last values are remembered for increases (least recently pushed forgotten). */
const MAX_REMEMBERED_GROUPS = 10_000;

type JobField = 'usage' | 'limit' | 'utilization' | 'current' | 'total' | 'loss' | 'reward';
type EndKind = 'completed' | 'failed' | 'cancelled';

const JOB_GAUGES = new Map<string, JobField>([
  [METRICS.budgetUsage.name, 'usage'],
  [METRICS.budgetLimit.name, 'limit'],
  [METRICS.budgetUtilization.name, 'utilization'],
  [METRICS.iterationCurrent.name, 'current'],
  [METRICS.iterationTotal.name, 'total'],
  [METRICS.loss.name, 'loss'],
  [METRICS.rewardMean.name, 'reward'],
]);
const COUNTERS = new Map<string, EndKind | 'created'>([
  [METRICS.jobsCreated.name, 'created'],
  [METRICS.jobsCompleted.name, 'completed'],
  [METRICS.jobsFailed.name, 'failed'],
  [METRICS.jobsCancelled.name, 'cancelled'],
]);
const HISTOGRAMS = new Map<string, Phase>(PHASES.map((p) => [PHASE_METRIC[p].name, p]));
const INHERITED: MetricDef[] = Object.values(METRICS).filter((m) => m.group === 'inherited');
/** prometheus_client's creation-timestamp gauges beside counters (without _total) and histograms. */
const CREATED = new Set(
  INHERITED.filter((m) => m.type !== 'gauge').map((m) => `${m.type === 'counter' ? m.name.replace(/_total$/, '') : m.name}_created`),
);
const END_EVENT: Record<EndKind, 'job_completed' | 'job_failed' | 'job_cancelled'> = {
  completed: 'job_completed',
  failed: 'job_failed',
  cancelled: 'job_cancelled',
};

/** A family or sample of an inherited name that did not become an event, and why. */
export interface Unmapped {
  metric: string;
  reason: 'missing_label' | 'derived' | 'created_timestamp' | 'job_ended' | 'no_single_job' | 'ambiguous_lifecycle' | 'different_buckets' | 'too_many_observations';
  detail: string;
}

export interface MapReport {
  events: { accepted: number; rejected: number; errors: ServerLine[] };
  unmapped: Unmapped[];
}

interface HistState {
  /** Non-cumulative counts per catalog bucket, then the overflow. */
  counts: number[];
  sum: number;
  count: number;
}

interface GroupState {
  counters: Map<string, number>;
  hists: Map<string, HistState>;
}

/** What the mapper needs of the engine: the runs as they are, and the ingest path for events. */
export interface MapperDeps {
  run(jobId: string): Run | undefined;
  ingest: IngestContext;
}

export class InheritedMapper {
  private readonly state = new Map<string, GroupState>();

  constructor(private readonly deps: MapperDeps) {}

  /** True for the inherited names and their `_created` companions: never kept as push families. */
  owns(name: string): boolean {
    return INHERITED.some((m) => m.name === name) || CREATED.has(name);
  }

  /** A 400 message when a pushed family of an inherited name has another type than the catalog's. */
  typeProblem(f: PushedFamily): string | null {
    const def = INHERITED.find((m) => m.name === f.name);
    if (!def || f.type === def.type || f.type === 'untyped') return null;
    return `${f.name} is a ${def.type} in the inherited metric set; this push declares it as ${f.type}`;
  }

  async map(groupId: string, group: GroupingKey, families: PushedFamily[]): Promise<MapReport> {
    const unmapped: Unmapped[] = [];
    const state = this.groupState(groupId);
    const jobs = new Map<string, { agent: string; v: Partial<Record<JobField, number>> }>();
    const counters = new Map<string, Partial<Record<EndKind | 'created', number>>>();
    const hists = new Map<string, { phase: Phase; agent: string; metric: string; h: HistState; foreign: boolean }>();

    for (const f of families) {
      const field = JOB_GAUGES.get(f.name);
      const counter = COUNTERS.get(f.name);
      const phase = HISTOGRAMS.get(f.name);
      if (field) {
        for (const s of f.samples) {
          const labels = withGroup(group, s);
          const agent = labels.get('agent_id');
          const job = labels.get('job_id');
          if (!agent || !job) {
            unmapped.push({ metric: describeSeries(s.name, s.labels), reason: 'missing_label', detail: 'needs non-empty agent_id and job_id labels' });
            continue;
          }
          let entry = jobs.get(job);
          if (!entry) jobs.set(job, (entry = { agent, v: {} }));
          entry.v[field] = s.value;
        }
        if (field === 'utilization') unmapped.push({ metric: f.name, reason: 'derived', detail: 'the engine computes utilization from usage and limit' });
      } else if (counter) {
        for (const s of f.samples) {
          const agent = withGroup(group, s).get('agent_id');
          if (!agent) {
            unmapped.push({ metric: describeSeries(s.name, s.labels), reason: 'missing_label', detail: 'needs a non-empty agent_id label' });
            continue;
          }
          let entry = counters.get(agent);
          if (!entry) counters.set(agent, (entry = {}));
          entry[counter] = s.value;
        }
      } else if (phase) {
        const bounds = PHASE_METRIC[phase].buckets!;
        for (const s of f.samples) {
          const labels = withGroup(group, s);
          const agent = labels.get('agent_id');
          if (!agent) {
            unmapped.push({ metric: describeSeries(s.name, s.labels), reason: 'missing_label', detail: 'needs a non-empty agent_id label' });
            continue;
          }
          const key = `${phase}\u0000${agent}`;
          let entry = hists.get(key);
          if (!entry) {
            const h = { counts: new Array<number>(bounds.length + 1).fill(Number.NaN), sum: 0, count: 0 };
            hists.set(key, (entry = { phase, agent, metric: f.name, h, foreign: false }));
          }
          if (s.name.endsWith('_sum')) entry.h.sum = s.value;
          else if (s.name.endsWith('_bucket')) {
            const le = parseFloatValue(labels.get('le') ?? '')!;
            const i = le === Infinity ? bounds.length : bounds.indexOf(le);
            if (i < 0) entry.foreign = true;
            else entry.h.counts[i] = s.value; // cumulative here; made per-bucket below
          }
        }
      } else if (f.name === METRICS.jobsActive.name) {
        unmapped.push({ metric: f.name, reason: 'derived', detail: 'the engine counts active jobs from run states' });
      } else if (CREATED.has(f.name)) {
        unmapped.push({ metric: f.name, reason: 'created_timestamp', detail: "prometheus_client's creation timestamps are not mapped" });
      }
    }

    const events: Array<Record<string, unknown>> = [];
    const running = new Map<string, string[]>();
    for (const [jobId, { agent, v }] of jobs) {
      const run = this.deps.run(jobId);
      if (run && (run.state !== 'running' || run.imported)) {
        unmapped.push({ metric: `job ${JSON.stringify(jobId)}`, reason: 'job_ended', detail: `the run already ended as ${run.state}; its pushed values are not applied` });
        continue;
      }
      const j = { job_id: jobId, agent_id: agent };
      const before = events.length;
      if (!run) {
        events.push({
          type: 'job_created',
          ...j,
          ...(v.total !== undefined ? { total_iterations: v.total } : {}),
          ...(v.limit !== undefined ? { budget_limit_usd: v.limit } : {}),
        });
      }
      const totalChanged = v.total !== undefined && !same(run?.totalIterations, v.total);
      if (v.current !== undefined && (!run || !same(run.currentIteration, v.current) || totalChanged)) {
        events.push({ type: 'progress', ...j, current_iteration: v.current, ...(v.total !== undefined ? { total_iterations: v.total } : {}) });
      } else if (run && totalChanged && run.currentIteration !== null) {
        events.push({ type: 'progress', ...j, current_iteration: run.currentIteration, total_iterations: v.total });
      }
      const limitChanged = v.limit !== undefined && !same(run?.budgetLimit, v.limit);
      if (v.usage !== undefined && (!run || !same(run.budgetUsage, v.usage) || limitChanged)) {
        events.push({ type: 'budget', ...j, usage_usd: v.usage, ...(v.limit !== undefined ? { limit_usd: v.limit } : {}) });
      } else if (run && limitChanged && run.budgetUsage !== null) {
        events.push({ type: 'budget', ...j, usage_usd: run.budgetUsage, limit_usd: v.limit });
      }
      const training: Record<string, number> = {};
      if (v.loss !== undefined && (!run || !same(run.loss, v.loss))) training.loss = v.loss;
      if (v.reward !== undefined && (!run || !same(run.meanReward, v.reward))) training.mean_reward = v.reward;
      if (Object.keys(training).length > 0) events.push({ type: 'training', ...j, ...training });
      if (events.length === before) events.push({ type: 'heartbeat', ...j });
      running.set(agent, [...(running.get(agent) ?? []), jobId]);
    }

    for (const { phase, agent, metric, h, foreign } of hists.values()) {
      const bounds = PHASE_METRIC[phase].buckets!;
      const key = `${phase}\u0000${agent}`;
      if (foreign || h.counts.some((c) => Number.isNaN(c))) {
        unmapped.push({ metric: `${metric}{agent_id=${JSON.stringify(agent)}}`, reason: 'different_buckets', detail: `only the inherited buckets ${bounds.join(', ')}, +Inf map onto runs` });
        continue;
      }
      h.count = h.counts[bounds.length]!;
      for (let i = h.counts.length - 1; i > 0; i--) h.counts[i]! -= h.counts[i - 1]!;
      const delta = increase(state.hists.get(key), h);
      state.hists.set(key, h);
      if (delta.count === 0) continue;
      const where = `${metric}{agent_id=${JSON.stringify(agent)}}`;
      const jobsOfAgent = running.get(agent) ?? [];
      if (jobsOfAgent.length !== 1) {
        unmapped.push({ metric: where, reason: 'no_single_job', detail: `${delta.count} new observations, but the push names ${jobsOfAgent.length} running jobs of agent ${JSON.stringify(agent)}; durations map only onto exactly one` });
        continue;
      }
      if (delta.count > MAX_OBSERVATIONS) {
        unmapped.push({ metric: where, reason: 'too_many_observations', detail: `${delta.count} new observations in one push (limit ${MAX_OBSERVATIONS}); push more often` });
        continue;
      }
      for (const seconds of reconstruct(bounds, delta.counts, delta.sum)) {
        events.push({ type: 'duration', job_id: jobsOfAgent[0], agent_id: agent, phase, seconds });
      }
    }

    for (const [agent, c] of counters) {
      const ends: Array<[EndKind, number]> = [];
      for (const kind of ['created', 'completed', 'failed', 'cancelled'] as const) {
        const now = c[kind];
        if (now === undefined) continue;
        const key = `${kind}\u0000${agent}`;
        const prev = state.counters.get(key) ?? 0;
        state.counters.set(key, now);
        const up = now >= prev ? now - prev : now;
        if (kind !== 'created' && up > 0) ends.push([kind, up]);
      }
      if (ends.length === 0) continue;
      const jobsOfAgent = running.get(agent) ?? [];
      if (ends.length === 1 && ends[0]![1] === 1 && jobsOfAgent.length === 1) {
        const kind = ends[0]![0];
        const event: Record<string, unknown> = { type: END_EVENT[kind], job_id: jobsOfAgent[0], agent_id: agent };
        if (kind === 'failed') event.error = `reported failed by a push (${METRICS.jobsFailed.name} went up)`;
        if (kind === 'cancelled') event.reason = `reported cancelled by a push (${METRICS.jobsCancelled.name} went up)`;
        events.push(event);
      } else {
        const what = ends.map(([k, n]) => `${k} +${n}`).join(', ');
        unmapped.push({ metric: `training_jobs_*_total{agent_id=${JSON.stringify(agent)}}`, reason: 'ambiguous_lifecycle', detail: `${what} with ${jobsOfAgent.length} running jobs of the agent in the push; a job ends from a push only when one counter went up by one and the push names exactly one running job` });
      }
    }

    return { events: await ingestEvents(this.deps.ingest, events), unmapped };
  }

  private groupState(id: string): GroupState {
    let s = this.state.get(id);
    if (s) this.state.delete(id);
    else {
      s = { counters: new Map(), hists: new Map() };
      if (this.state.size >= MAX_REMEMBERED_GROUPS) this.state.delete(this.state.keys().next().value!);
    }
    this.state.set(id, s);
    return s;
  }
}

/**
 * Feeds events through the ingest path every other transport uses (validation, run store, log,
 * counts) and waits until they are durable. Non-finite values travel as the protocol's strings.
 */
export async function ingestEvents(ctx: IngestContext, events: Array<Record<string, unknown>>): Promise<MapReport['events']> {
  if (events.length === 0) return { accepted: 0, rejected: 0, errors: [] };
  const session = new IngestSession(ctx, undefined, { preauthenticated: true });
  const errors: ServerLine[] = [];
  const keep = (lines: ServerLine[]) => errors.push(...lines.filter((l) => l.type === 'error'));
  keep(session.feed(Buffer.from(`${events.map((e) => encodeJson(e)).join('\n')}\n`)).reply);
  keep(session.finish());
  await ctx.durable();
  return { accepted: session.accepted, rejected: session.rejected, errors };
}

/** Per-bucket counts, sum and count added since `prev`; everything when the series restarted. */
function increase(prev: HistState | undefined, now: HistState): HistState {
  if (!prev || now.count < prev.count || now.counts.some((c, i) => c < prev.counts[i]!)) return now;
  return { counts: now.counts.map((c, i) => c - prev.counts[i]!), sum: now.sum - prev.sum, count: now.count - prev.count };
}

/**
 * Values that fall in the given buckets (counts per bucket, then the overflow) and add up to
 * `sum` where that is possible: every value sits at the same relative place inside its bucket
 * (`lower + a * (upper - lower)`), and values above the last bound share what is left. When the
 * sum cannot be met inside the buckets, the buckets win (midpoints) and `_sum` is approximate.
 */
export function reconstruct(bounds: readonly number[], counts: readonly number[], sum: number): number[] {
  const lo = (i: number) => (i === 0 ? 0 : bounds[i - 1]!);
  const n = bounds.length;
  const overflow = counts[n] ?? 0;
  let low = 0;
  let high = 0;
  for (let i = 0; i < n; i++) {
    low += counts[i]! * lo(i);
    high += counts[i]! * bounds[i]!;
  }
  const out: number[] = [];
  let a = 0.5;
  if (overflow === 0 && high > low) {
    const fit = (sum - low) / (high - low);
    if (fit > 0 && fit <= 1) a = Math.max(fit, 1e-6);
  }
  let finiteSum = 0;
  for (let i = 0; i < n; i++) {
    const v = lo(i) + a * (bounds[i]! - lo(i));
    for (let k = 0; k < counts[i]!; k++) out.push(v);
    finiteSum += counts[i]! * v;
  }
  if (overflow > 0) {
    const last = bounds[n - 1] ?? 0;
    let each = (sum - finiteSum) / overflow;
    if (!(each > last) || !Number.isFinite(each)) each = last * 2 || 1;
    for (let k = 0; k < overflow; k++) out.push(each);
  }
  return out;
}

function withGroup(group: GroupingKey, s: PushedSample): Map<string, string> {
  return new Map([...group, ...s.labels]);
}

function same(a: number | null | undefined, b: number): boolean {
  return a !== null && a !== undefined && Object.is(a, b);
}
