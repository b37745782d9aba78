/**
 * The monitoring kit against the real thing: a real Prometheus (Debian's 2.42) scrapes a live
 * engine through docs/prometheus/scrape.yml, loads docs/prometheus/rules.yml, and then every
 * recording rule, every alert expression and every Grafana panel query in docs/grafana/ is
 * evaluated through Prometheus' HTTP API and must return the values the scripted workload below
 * implies, not merely "no error".
 *
 * How the numbers stay exact. Prometheus' increase() and rate() extrapolate (promql/functions.go,
 * extrapolatedRate), so the workload is laid out for it:
 * - Every agent exists before Prometheus starts (the seed), so every counter and bucket series
 *   has a first sample from before the workload; expressions are evaluated at the timestamp of
 *   the last scrape, so nothing is extrapolated at the end of the window.
 * - A counter that starts at 0 (every histogram bucket, the errors by reason) is not
 *   extrapolated at the start either: its increase is exact. A counter that starts above 0 is
 *   extrapolated by half a sample interval; `increase()` below computes that, and ratios of such
 *   counters (the success and failure ratios) are exact because both sides get the same factor.
 * - Quantiles do not depend on the factor at all (every bucket of an agent gets the same one).
 *
 * The workload, by agent (stall window 5 s; jobs that must stay `running` get a heartbeat every
 * 0.5 s):
 * - agent-a (seed: a-seed-ok completed, a-seed-failed failed): a-1 completes 10 iterations
 *   (trajectory 3 s, policy update 0.3 s, iteration 20 s, 2 checkpoints of 1.5 s, 40 of 100 USD),
 *   a-2 completes, a-3 fails, a-4 runs at 40/100 iterations with 190 of 200 USD (95%).
 *   In the window: 4 created, 2 completed, 1 failed: success 0.5, failure 0.25.
 * - agent-b (seed: b-slow, b-crash, b-long started 7 h ago, b-done started 8 h ago, 150% of its
 *   budget, completed): b-slow has 20 trajectory batches of 90 s (p95 117 s) and 55 of 50 USD;
 *   b-crash fails although agent-b created nothing in the window (the divide-by-zero case);
 *   b-long stays running at 5/50 iterations.
 * - agent-c (seed: c-quiet, c-cancel): c-quiet goes silent and stalls; c-cancel is cancelled.
 * - Two lines of bad JSON and one negative duration are refused.
 * - A second target in job "trainwatch" points at a port nobody listens on: up == 0.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_VERSION as VERSION } from '../../electron/engine/index.ts';
import { ROOT_DIR } from '../helpers/cli.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/events.ts';
import { StreamClient, testEngine } from '../helpers/engine.ts';
import type { TestEngine } from '../helpers/engine.ts';
import { PROMETHEUS, missingPrometheus } from '../helpers/parts.ts';
import { closedPort, poll, prometheusReady } from '../helpers/prometheus.ts';

const PROM_DIR = path.join(ROOT_DIR, 'docs', 'prometheus');
const GRAFANA_DIR = path.join(ROOT_DIR, 'docs', 'grafana');
const STALL_AFTER_SECONDS = 5;
const HOUR = 3600;

/** Grafana's variables as the test substitutes them: every agent and job, a 1-minute rate window. */
const GRAFANA_VARIABLES: Record<string, string> = {
  agent_id: '.*',
  job_id: '.*',
  __rate_interval: '1m',
  __interval: '1m',
  __range: '5m',
};

// ------------------------------------------------------------------------------------ workload

const A = 'agent-a';
const B = 'agent-b';
const C = 'agent-c';
const job = (job_id: string, agent_id: string) => ({ job_id, agent_id });

function seedEvents(now: number): Array<Record<string, unknown>> {
  return [
    { type: 'job_created', ...job('a-seed-ok', A) },
    { type: 'job_completed', ...job('a-seed-ok', A) },
    { type: 'job_created', ...job('a-seed-failed', A) },
    { type: 'job_failed', ...job('a-seed-failed', A), error: 'seed' },
    { type: 'job_created', ...job('b-slow', B) },
    { type: 'job_created', ...job('b-crash', B) },
    { type: 'job_created', ...job('b-long', B), ts: now - 7 * HOUR, total_iterations: 50 },
    { type: 'job_created', ...job('b-done', B), ts: now - 8 * HOUR, budget_limit_usd: 100 },
    { type: 'budget', ...job('b-done', B), usage_usd: 150 },
    { type: 'job_completed', ...job('b-done', B) },
    { type: 'job_created', ...job('c-quiet', C) },
    { type: 'job_created', ...job('c-cancel', C) },
  ];
}

function workloadEvents(): Array<Record<string, unknown>> {
  const a1 = job('a-1', A);
  const events: Array<Record<string, unknown>> = [{ type: 'job_created', ...a1, total_iterations: 10, budget_limit_usd: 100 }];
  for (let i = 1; i <= 10; i++) {
    events.push(
      { type: 'duration', ...a1, phase: 'trajectory_generation', seconds: 3 },
      { type: 'duration', ...a1, phase: 'policy_update', seconds: 0.3 },
      { type: 'duration', ...a1, phase: 'iteration', seconds: 20 },
      { type: 'progress', ...a1, current_iteration: i },
      { type: 'training', ...a1, loss: Number((1 - 0.08 * i).toFixed(2)), mean_reward: Number((0.15 * i).toFixed(2)), iteration: i },
      { type: 'budget', ...a1, usage_usd: 4 * i },
    );
    if (i % 5 === 0) events.push({ type: 'duration', ...a1, phase: 'checkpoint_save', seconds: 1.5 });
  }
  events.push({ type: 'job_completed', ...a1 });
  events.push({ type: 'job_created', ...job('a-2', A) }, { type: 'job_completed', ...job('a-2', A) });
  events.push({ type: 'job_created', ...job('a-3', A) }, { type: 'job_failed', ...job('a-3', A), error: 'CUDA out of memory' });
  const a4 = job('a-4', A);
  events.push(
    { type: 'job_created', ...a4, total_iterations: 100, budget_limit_usd: 200 },
    { type: 'progress', ...a4, current_iteration: 40 },
    { type: 'training', ...a4, loss: 0.5, mean_reward: 1.2 },
    { type: 'budget', ...a4, usage_usd: 190 },
  );
  for (let i = 0; i < 20; i++) events.push({ type: 'duration', ...job('b-slow', B), phase: 'trajectory_generation', seconds: 90 });
  events.push({ type: 'budget', ...job('b-slow', B), usage_usd: 55, limit_usd: 50 });
  events.push({ type: 'job_failed', ...job('b-crash', B), error: 'Segmentation fault' });
  events.push({ type: 'progress', ...job('b-long', B), current_iteration: 5 });
  events.push({ type: 'job_cancelled', ...job('c-cancel', C), reason: 'by user' });
  return events;
}

/** Jobs the heartbeat keeps `running` (a-4 joins once created). */
const KEEP_ALIVE = [job('b-slow', B), job('b-long', B)];
/** 10 x 3 phases of a-1, its 2 checkpoints, b-slow's 20 batches. */
const DURATION_EVENTS = 52;

// ------------------------------------------------------------------------- Prometheus client

type Labels = Record<string, string>;
interface Series {
  labels: Labels;
  value: number;
}

class PrometheusApi {
  constructor(readonly url: string) {}

  async query(expr: string, time?: number): Promise<Series[]> {
    const body = new URLSearchParams({ query: expr });
    if (time !== undefined) body.set('time', time.toFixed(3));
    const data = (await this.call('/api/v1/query', body)) as
      | { resultType: 'vector'; result: Array<{ metric: Labels; value: [number, string] }> }
      | { resultType: 'scalar'; result: [number, string] };
    if (data.resultType === 'scalar') return [{ labels: {}, value: parseValue(data.result[1]) }];
    if (data.resultType !== 'vector') throw new Error(`query ${expr}: expected a vector, got ${String((data as { resultType: string }).resultType)}`);
    return data.result.map((r) => ({ labels: r.metric, value: parseValue(r.value[1]) }));
  }

  async labelValues(label: string, match: string): Promise<string[]> {
    return (await this.call(`/api/v1/label/${label}/values?${new URLSearchParams({ 'match[]': match })}`)) as string[];
  }

  async get<T>(route: string): Promise<T> {
    return (await this.call(route)) as T;
  }

  private async call(route: string, form?: URLSearchParams): Promise<unknown> {
    const res = await fetch(`${this.url}${route}`, form ? { method: 'POST', body: form } : {});
    const json = (await res.json()) as { status: string; data?: unknown; error?: string };
    if (json.status !== 'success') throw new Error(`Prometheus ${route} ${form?.get('query') ?? ''}: ${json.error ?? res.status}`);
    return json.data;
  }
}

function parseValue(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

/**
 * What increase() returns for a counter that rose by `delta` from `first` over `n` samples,
 * evaluated at the timestamp of its last sample with a window that starts well before its first
 * (extrapolatedRate in Prometheus 2.42): no extrapolation at the end; at the start, back to
 * where the counter would have been 0 if that is within 1.1 sample intervals, else half an
 * interval. In units of the span the samples cover.
 */
function increase(delta: number, first: number, n: number): number {
  if (delta === 0) return 0;
  const interval = 1 / (n - 1);
  const toZero = first / delta;
  return delta * (1 + (toZero < 1.1 * interval ? toZero : interval / 2));
}

// ---------------------------------------------------------------------------- expectations

/** A value, or a range for values the test cannot know exactly (heartbeats). */
type Want = number | { min: number; max: number };
/** The series a query must return: keyed by the values of `by` joined with '/', nothing else. */
interface Expected {
  by: string[];
  values: Record<string, Want>;
  /** Only these keys are checked (the query returns more series, e.g. every event type). */
  partial?: boolean;
}

function check(what: string, got: Series[], want: Expected): void {
  const actual: Record<string, number> = {};
  for (const s of got) {
    const key = want.by.map((l) => s.labels[l] ?? '').join('/');
    if (key in actual) throw new Error(`${what}: two series for ${want.by.join('/')}=${key}: ${JSON.stringify(got)}`);
    actual[key] = s.value;
  }
  if (!want.partial) expect.soft(Object.keys(actual).sort(), `${what}: series`).toEqual(Object.keys(want.values).sort());
  for (const [key, w] of Object.entries(want.values)) {
    const v = actual[key];
    expect.soft(v, `${what}: ${key} missing in ${JSON.stringify(actual)}`).toBeDefined();
    if (typeof w === 'number') {
      if (Number.isNaN(w)) expect.soft(v, `${what}: ${key}`).toBeNaN();
      else expect.soft(Math.abs(v! - w), `${what}: ${key} is ${v}, expected ${w}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(w)));
    } else {
      expect.soft(v, `${what}: ${key}`).toBeGreaterThanOrEqual(w.min);
      expect.soft(v, `${what}: ${key}`).toBeLessThanOrEqual(w.max);
    }
  }
}

interface Context {
  /** The timestamp of the last scrape, in seconds: where expressions are evaluated. */
  T: number;
  /** Samples per series since the first scrape. */
  n: number;
  live: string;
  dead: string;
  startedAt: (jobId: string) => number;
  lastEventAt: (jobId: string) => number;
}

/** What histogram_quantile returns for an agent that observed nothing in the window. */
const NAN = Number.NaN;
const byAgent = (values: Record<string, Want>): Expected => ({ by: ['agent_id'], values });
const byJob = (values: Record<string, Want>): Expected => ({ by: ['job_id'], values });

function expectedRules(ctx: Context): Record<string, Expected> {
  const inc = (delta: number, first: number) => increase(delta, first, ctx.n);
  return {
    'agent_id:training_job_success:ratio_rate1h': byAgent({ [A]: inc(2, 1) / inc(4, 2) }),
    'agent_id:training_job_failure:ratio_rate1h': byAgent({ [A]: inc(1, 1) / inc(4, 2) }),
    'agent_id:training_trajectory_generation_duration_seconds:p95_rate5m': byAgent({ [A]: 4.8, [B]: 117, [C]: NAN }),
    'agent_id:training_policy_update_duration_seconds:p95_rate5m': byAgent({ [A]: 0.48, [B]: NAN, [C]: NAN }),
    'agent_id:training_iteration_duration_seconds:p95_rate5m': byAgent({ [A]: 29, [B]: NAN, [C]: NAN }),
    'agent_id:training_checkpoint_save_duration_seconds:p95_rate5m': byAgent({ [A]: 1.95, [B]: NAN, [C]: NAN }),
  };
}

function expectedAlerts(ctx: Context): Record<string, Expected> {
  const inc = (delta: number, first: number) => increase(delta, first, ctx.n);
  return {
    // agent-b's failure came with nothing created in the window: no series, not +Inf.
    TrainingJobFailureRateHigh: byAgent({ [A]: inc(1, 1) / inc(4, 2) }),
    // b-done is over budget too, but completed.
    TrainingJobBudgetExceeded: byJob({ 'b-slow': 110 }),
    TrainingJobBudgetWarning: byJob({ 'a-4': 95 }),
    TrainingTrajectoryGenerationSlow: byAgent({ [B]: 117 }),
    // b-done started 8 h ago, but completed.
    TrainingJobRunningTooLong: byJob({ 'b-long': ctx.T - ctx.startedAt('b-long') }),
    TrainingJobStalled: byJob({ 'c-quiet': 1 }),
    TrainwatchIngestErrors: { by: ['instance', 'reason'], values: { [`${ctx.live}/invalid_json`]: 2, [`${ctx.live}/negative_duration`]: 1 } },
    TrainwatchDown: { by: ['instance'], values: { [ctx.dead]: 0 } },
  };
}

/** Alerts the rule manager holds once it has evaluated the final state: state and the label naming the subject. */
function expectedActiveAlerts(ctx: Context): string[] {
  return [
    `TrainingJobBudgetExceeded job_id=b-slow firing`,
    `TrainingJobBudgetWarning job_id=a-4 firing`,
    `TrainingJobFailureRateHigh agent_id=${A} pending`,
    `TrainingJobRunningTooLong job_id=b-long firing`,
    `TrainingJobStalled job_id=c-quiet firing`,
    `TrainingTrajectoryGenerationSlow agent_id=${B} pending`,
    `TrainwatchDown instance=${ctx.dead} pending`,
    `TrainwatchIngestErrors reason=invalid_json firing`,
    `TrainwatchIngestErrors reason=negative_duration firing`,
  ].sort();
}

/** Every panel query of docs/grafana/, keyed `dashboard uid / panel title / refId`. */
function expectedPanels(ctx: Context): Record<string, Expected> {
  const inc = (delta: number, first: number) => increase(delta, first, ctx.n);
  const perHour = (delta: number, first: number) => (inc(delta, first) / 60) * 3600;
  const perSecond = (delta: number, first: number) => inc(delta, first) / 60;
  const elapsed = (id: string) => ctx.T - ctx.startedAt(id);
  const alive = { min: 0, max: STALL_AFTER_SECONDS };
  const phase = (p50: Record<string, Want>, p95: Record<string, Want>, mean: Record<string, Want>) => ({ p50: byAgent(p50), p95: byAgent(p95), mean: byAgent(mean) });
  const perf: Record<string, ReturnType<typeof phase>> = {
    'Trajectory generation duration': phase({ [A]: 3, [B]: 90, [C]: NAN }, { [A]: 4.8, [B]: 117, [C]: NAN }, { [A]: 3, [B]: 90 }),
    'Policy update duration': phase({ [A]: 0.3, [B]: NAN, [C]: NAN }, { [A]: 0.48, [B]: NAN, [C]: NAN }, { [A]: 0.3 }),
    'Iteration duration': phase({ [A]: 20, [B]: NAN, [C]: NAN }, { [A]: 29, [B]: NAN, [C]: NAN }, { [A]: 20 }),
    'Checkpoint save duration': phase({ [A]: 1.5, [B]: NAN, [C]: NAN }, { [A]: 1.95, [B]: NAN, [C]: NAN }, { [A]: 1.5 }),
  };
  const rules = expectedRules(ctx);
  const out: Record<string, Expected> = {
    'trainwatch-overview / Active jobs / A': { by: [], values: { '': 4 } },
    'trainwatch-overview / Stalled jobs / A': { by: [], values: { '': 1 } },
    'trainwatch-overview / Success ratio (1h) / A': byAgent({ [A]: 0.5 }),
    'trainwatch-overview / Failure ratio (1h) / A': byAgent({ [A]: 0.25 }),
    'trainwatch-overview / Jobs by status / A': { by: ['status'], values: { running: 3, stalled: 1, completed: 4, failed: 3, cancelled: 1 } },
    'trainwatch-overview / Job outcomes per hour / A': byAgent({ [A]: perHour(4, 2), [B]: 0, [C]: 0 }),
    'trainwatch-overview / Job outcomes per hour / B': byAgent({ [A]: perHour(2, 1), [B]: 0, [C]: 0 }),
    'trainwatch-overview / Job outcomes per hour / C': byAgent({ [A]: perHour(1, 1), [B]: perHour(1, 0), [C]: 0 }),
    'trainwatch-overview / Job outcomes per hour / D': byAgent({ [A]: 0, [B]: 0, [C]: perHour(1, 0) }),
    'trainwatch-overview / Jobs / A': {
      by: ['job_id', 'status'],
      values: Object.fromEntries(
        [
          ['a-seed-ok', 'completed'], ['a-seed-failed', 'failed'], ['a-1', 'completed'], ['a-2', 'completed'], ['a-3', 'failed'], ['a-4', 'running'],
          ['b-slow', 'running'], ['b-crash', 'failed'], ['b-long', 'running'], ['b-done', 'completed'], ['c-quiet', 'stalled'], ['c-cancel', 'cancelled'],
        ].map(([id, status]) => [`${id}/${status}`, 1]),
      ),
    },
    'trainwatch-overview / Ingest errors by reason / A': { by: ['reason'], values: { invalid_json: perSecond(2, 0), negative_duration: perSecond(1, 0) } },
    'trainwatch-overview / Events ingested by type / A': {
      by: ['type'],
      partial: true,
      values: {
        duration: perSecond(DURATION_EVENTS, 0),
        job_created: perSecond(4, 8),
        job_completed: perSecond(2, 2),
        job_failed: perSecond(2, 1),
        job_cancelled: perSecond(1, 0),
        heartbeat: { min: 1e-9, max: Infinity },
      },
    },
    'trainwatch-overview / Trainwatch version / A': { by: ['instance', 'version', 'protocol'], values: { [`${ctx.live}/${VERSION}/${PROTOCOL_VERSION}`]: 1 } },
    'trainwatch-performance / Trajectory generation duration distribution / A': {
      by: ['le'],
      values: { '1': 0, '5': 10, '10': 10, '30': 10, '60': 10, '120': 30, '300': 30, '+Inf': 30 },
    },
    'trainwatch-performance / p95 per phase (5m, recorded) / A': rules['agent_id:training_trajectory_generation_duration_seconds:p95_rate5m']!,
    'trainwatch-performance / p95 per phase (5m, recorded) / B': rules['agent_id:training_policy_update_duration_seconds:p95_rate5m']!,
    'trainwatch-performance / p95 per phase (5m, recorded) / C': rules['agent_id:training_iteration_duration_seconds:p95_rate5m']!,
    'trainwatch-performance / p95 per phase (5m, recorded) / D': rules['agent_id:training_checkpoint_save_duration_seconds:p95_rate5m']!,
    'trainwatch-budget / Budget utilization / A': byJob({ 'a-1': 40, 'a-4': 95, 'b-slow': 110, 'b-done': 150 }),
    'trainwatch-budget / Spend of unfinished jobs / A': byAgent({ [A]: 190, [B]: 55 }),
    'trainwatch-budget / Unfinished jobs at 90% of budget or more / A': { by: [], values: { '': 2 } },
    'trainwatch-budget / Budget usage / A': byJob({ 'a-1': 40, 'a-4': 190, 'b-slow': 55, 'b-done': 150 }),
    'trainwatch-budget / Budget usage / B': byJob({ 'a-1': 100, 'a-4': 200, 'b-slow': 50, 'b-done': 100 }),
    'trainwatch-budget / Budget remaining / A': byJob({ 'a-1': 60, 'a-4': 10, 'b-slow': -5, 'b-done': -50 }),
    'trainwatch-progress / Progress / A': byJob({ 'a-1': 100, 'a-4': 40, 'b-long': 10 }),
    'trainwatch-progress / Current iteration / A': byJob({ 'a-1': 10, 'a-4': 40, 'b-long': 5 }),
    'trainwatch-progress / Training loss / A': byJob({ 'a-1': 0.2, 'a-4': 0.5 }),
    'trainwatch-progress / Mean reward / A': byJob({ 'a-1': 1.5, 'a-4': 1.2 }),
    'trainwatch-progress / Elapsed time of unfinished jobs / A': byJob({
      'a-4': elapsed('a-4'), 'b-slow': elapsed('b-slow'), 'b-long': elapsed('b-long'), 'c-quiet': elapsed('c-quiet'),
    }),
    'trainwatch-progress / Silence of unfinished jobs / A': byJob({
      'a-4': alive, 'b-slow': alive, 'b-long': alive, 'c-quiet': ctx.T - ctx.lastEventAt('c-quiet'),
    }),
  };
  for (const [title, { p50, p95, mean }] of Object.entries(perf)) {
    out[`trainwatch-performance / ${title} / A`] = p50;
    out[`trainwatch-performance / ${title} / B`] = p95;
    out[`trainwatch-performance / ${title} / C`] = mean;
  }
  return out;
}

// ------------------------------------------------------------------------- the files under test

interface RuleDef {
  kind: 'record' | 'alert';
  name: string;
  expr: string;
}

/** The rules of rules.yml as Prometheus itself parsed them (from its rules API). */
interface ApiRuleGroup {
  name: string;
  lastEvaluation: string;
  rules: Array<{ type: 'recording' | 'alerting'; name: string; query: string }>;
}

interface PanelTarget {
  key: string;
  expr: string;
}

interface Dashboard {
  uid: string;
  panels: Array<{ title: string; targets: Array<{ refId: string; expr: string }> }>;
  templating: { list: Array<{ name: string; type: string; query?: unknown }> };
}

function dashboards(): Dashboard[] {
  return readdirSync(GRAFANA_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(GRAFANA_DIR, f), 'utf8')) as Dashboard);
}

/** The expression with Grafana's variables replaced as GRAFANA_VARIABLES says. */
function substitute(expr: string): string {
  return expr.replace(/\$\{(\w+)\}|\$(\w+)/g, (m, a: string | undefined, b: string | undefined) => {
    const v = GRAFANA_VARIABLES[(a ?? b)!];
    if (v === undefined) throw new Error(`unknown Grafana variable ${m} in ${expr}`);
    return v;
  });
}

function panelTargets(): PanelTarget[] {
  return dashboards().flatMap((d) =>
    d.panels.flatMap((p) => p.targets.map((t) => ({ key: `${d.uid} / ${p.title} / ${t.refId}`, expr: substitute(t.expr) }))),
  );
}

/** Recorded series are read where the rule manager wrote them, after its evaluation of the final state. */
const usesRecordedSeries = (expr: string) => /\b[a-z_]+:[a-z0-9_:]+/.test(expr.replace(/\[[^\]]*\]/g, ''));

// --------------------------------------------------------------------------------- the setup

const skipReason = missingPrometheus();

describe.skipIf(skipReason !== null)(`Prometheus evaluates the monitoring kit against a live engine${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let engine: TestEngine;
  let prometheus: ChildProcess | undefined;
  let prometheusExit: Promise<void> | undefined;
  let prometheusLog = '';
  let dir: string;
  let api: PrometheusApi;
  let ctx: Context;
  let groups: ApiRuleGroup[];
  const clients: StreamClient[] = [];
  let beating = true;
  let heartbeat: Promise<void> = Promise.resolve();
  let heartbeatError: unknown;
  const log = () => `${heartbeatError ? `heartbeat failed: ${String(heartbeatError)}\n` : ''}prometheus log (tail):\n${prometheusLog.slice(-2000)}`;

  beforeAll(async () => {
    engine = await testEngine({ stallAfterSeconds: STALL_AFTER_SECONDS });
    const client = await StreamClient.to(engine);
    const beat = await StreamClient.to(engine);
    clients.push(client, beat);
    const keepAlive = [...KEEP_ALIVE];

    // The seed: every agent exists before the first scrape.
    await client.send(...seedEvents(Math.round(Date.now() / 1000)));
    heartbeat = (async () => {
      while (beating) {
        await beat.send(...keepAlive.map((j) => ({ type: 'heartbeat', ...j })));
        await new Promise((r) => setTimeout(r, 500));
      }
    })().catch((err: unknown) => {
      heartbeatError = err;
    });

    dir = mkdtempSync(path.join(os.tmpdir(), 'tw-prometheus-'));
    const live = `127.0.0.1:${engine.http.port}`;
    const dead = `127.0.0.1:${await closedPort()}`;
    writeFileSync(path.join(dir, 'prometheus.yml'), prometheusConfig(live, dead));
    mkdirSync(path.join(dir, 'data'));
    const proc = spawn(
      PROMETHEUS,
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, '--web.listen-address=127.0.0.1:0', '--log.level=warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus = proc;
    prometheusExit = new Promise((resolve) => proc.once('exit', () => resolve()));
    for (const stream of [proc.stdout, proc.stderr]) stream.on('data', (b: Buffer) => (prometheusLog = (prometheusLog + b.toString()).slice(-20_000)));
    api = new PrometheusApi(await prometheusReady(proc, log));

    // The first scrape of a new target takes ~5-6 s even at a 1 s interval.
    const hasOne = async (expr: string) => ((await api.query(expr)).length === 1 ? true : undefined);
    await poll('the first scrape of the engine', () => hasOne(`up{instance="${live}"} == 1`), 30_000, log);
    await poll('the first failed scrape of the dead target', () => hasOne(`up{instance="${dead}"} == 0`), 30_000, log);

    // The workload, then the refused lines (no seq: they answer with error lines only).
    await client.send(...workloadEvents());
    keepAlive.push(job('a-4', A));
    client.write('{"type": "duration", oops\nnot json at all\n');
    client.write(`${JSON.stringify({ type: 'duration', ...job('b-slow', B), phase: 'trajectory_generation', seconds: -1 })}\n`);
    await client.send({ type: 'heartbeat', ...job('a-4', A) });
    expect(client.errors().map((e) => e.reason)).toEqual(['invalid_json', 'invalid_json', 'negative_duration']);

    // Until Prometheus has scraped the final state, c-quiet has stalled, and there are enough samples.
    await poll(
      'the final state in Prometheus',
      async () => {
        const [durations, refused, stalled, samples] = await Promise.all([
          api.query(`trainwatch_ingest_events_total{instance="${live}", type="duration"}`),
          api.query(`trainwatch_ingest_errors_total{instance="${live}", reason="negative_duration"}`),
          api.query(`training_job_status{instance="${live}", job_id="c-quiet", status="stalled"}`),
          api.query(`count_over_time(up{instance="${live}"}[1h])`),
        ]);
        const done = durations[0]?.value === DURATION_EVENTS && refused[0]?.value === 1 && stalled[0]?.value === 1 && (samples[0]?.value ?? 0) >= 6;
        return done ? true : undefined;
      },
      30_000,
      log,
    );
    const T = (await api.query(`timestamp(up{instance="${live}"})`))[0]!.value;
    const [n, first] = await Promise.all([
      api.query(`count_over_time(up{instance="${live}"}[1h])`, T),
      api.query(`min_over_time(timestamp(up{instance="${live}"})[1h:1s])`, T),
    ]);
    const store = engine.store;
    ctx = {
      T,
      n: n[0]!.value,
      live,
      dead,
      startedAt: (id) => store.get(id)!.startedAt,
      lastEventAt: (id) => store.get(id)!.lastEventAt,
    };
    // The 1-minute windows of the panels must reach back before the first scrape.
    expect(T - first[0]!.value, 'seconds from the first scrape to T').toBeLessThan(50);

    // The rule manager's evaluation of the final state (recorded series, alert states).
    groups = await poll(
      'a rule evaluation after the final scrape',
      async () => {
        const g = (await api.get<{ groups: ApiRuleGroup[] }>('/api/v1/rules')).groups;
        return g.length === 2 && g.every((x) => Date.parse(x.lastEvaluation) / 1000 > T + 0.5) ? g : undefined;
      },
      30_000,
      log,
    );
  }, 90_000);

  afterAll(async () => {
    beating = false;
    await heartbeat;
    for (const c of clients) await c.close().catch(() => undefined);
    if (prometheus && prometheus.exitCode === null) {
      prometheus.kill('SIGTERM');
      const killed = setTimeout(() => prometheus?.kill('SIGKILL'), 5_000);
      await prometheusExit;
      clearTimeout(killed);
    }
    await engine?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  function ruleDefs(): RuleDef[] {
    return groups.flatMap((g) => g.rules.map((r) => ({ kind: r.type === 'recording' ? ('record' as const) : ('alert' as const), name: r.name, expr: r.query })));
  }

  // ------------------------------------------------------------------------------ the checks

  it('loads rules.yml: 6 recording rules and 8 alerts', () => {
    expect(ruleDefs().map((r) => `${r.kind} ${r.name}`).sort()).toEqual(
      [...Object.keys(expectedRules(ctx)).map((n) => `record ${n}`), ...Object.keys(expectedAlerts(ctx)).map((n) => `alert ${n}`)].sort(),
    );
  });

  it('evaluates every recording rule expression to the expected value per agent', async () => {
    const want = expectedRules(ctx);
    for (const rule of ruleDefs().filter((r) => r.kind === 'record')) {
      check(`${rule.name} = ${rule.expr}`, await api.query(rule.expr, ctx.T), want[rule.name]!);
    }
  });

  it('evaluates every alert expression to the expected series and values', async () => {
    const want = expectedAlerts(ctx);
    for (const rule of ruleDefs().filter((r) => r.kind === 'alert')) {
      check(`${rule.name}: ${rule.expr}`, await api.query(rule.expr, ctx.T), want[rule.name]!);
    }
  });

  it('records the same values in the recording rules series', async () => {
    // Evaluated by the rule manager after T: the ratios and quantiles do not depend on when.
    const want = expectedRules(ctx);
    for (const [name, expected] of Object.entries(want)) check(`recorded ${name}`, await api.query(name), expected);
  });

  it('holds exactly the expected alerts, pending where the rule has a for: duration, with the job in the description', async () => {
    const { alerts } = await api.get<{ alerts: Array<{ labels: Labels; annotations: Labels; state: string }> }>('/api/v1/alerts');
    const subject = (l: Labels) => (['job_id', 'agent_id', 'reason', 'instance'] as const).find((k) => k in l && !(k === 'agent_id' && 'job_id' in l))!;
    expect(alerts.map((a) => `${a.labels.alertname} ${subject(a.labels)}=${a.labels[subject(a.labels)]} ${a.state}`).sort()).toEqual(expectedActiveAlerts(ctx));
    for (const a of alerts) {
      expect(['warning', 'critical']).toContain(a.labels.severity);
      expect(a.annotations.summary, `${a.labels.alertname} summary`).toBeTruthy();
      // A job when the alert is about a job, else the agent, else the Trainwatch instance.
      const named = a.labels.job_id ?? a.labels.agent_id ?? a.labels.instance!;
      expect(a.annotations.description, `${a.labels.alertname} description`).toContain(named);
    }
    const byName = (name: string) => alerts.find((a) => a.labels.alertname === name)!;
    expect(byName('TrainingJobBudgetWarning').annotations).toEqual({
      summary: 'Training job a-4 is at 95% of its budget',
      description: 'Training job a-4 (agent agent-a) has not ended and has spent 95.0% of its budget limit; it will exceed the limit soon at this rate.',
    });
    expect(byName('TrainingJobRunningTooLong').annotations.summary).toMatch(/^Training job b-long has been running for 7h 0m \d+s$/);
  });

  it('evaluates every Grafana panel query to the expected series and values', async () => {
    const targets = panelTargets();
    const want = expectedPanels(ctx);
    expect(targets.map((t) => t.key).sort(), 'every panel query has an expectation, and every expectation a query').toEqual(Object.keys(want).sort());
    for (const t of targets) {
      const got = await api.query(t.expr, usesRecordedSeries(t.expr) ? undefined : ctx.T);
      check(`${t.key}: ${t.expr}`, got, want[t.key]!);
    }
  });

  it('answers the dashboards\' template variable queries with the agents and jobs', async () => {
    const vars = new Map<string, string>();
    for (const d of dashboards()) {
      for (const v of d.templating.list) if (v.type === 'query') vars.set(v.name, String(v.query));
    }
    const labelValues = async (query: string, agent: string) => {
      const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query.replace('$agent_id', agent));
      if (!m) throw new Error(`not a label_values() query: ${query}`);
      return api.labelValues(m[2]!, m[1]!);
    };
    expect(await labelValues(vars.get('agent_id')!, '.*')).toEqual([A, B, C]);
    expect(await labelValues(vars.get('job_id')!, '.*')).toEqual(
      ['a-1', 'a-2', 'a-3', 'a-4', 'a-seed-failed', 'a-seed-ok', 'b-crash', 'b-done', 'b-long', 'b-slow', 'c-cancel', 'c-quiet'],
    );
    expect(await labelValues(vars.get('job_id')!, C)).toEqual(['c-cancel', 'c-quiet']);
  });
});

/**
 * The test's prometheus.yml: 1 s intervals, docs/prometheus/rules.yml, and docs/prometheus/scrape.yml
 * itself with the live engine and a dead port as its targets.
 */
function prometheusConfig(live: string, dead: string): string {
  const scrape = replaceOnce(
    replaceOnce(readFileSync(path.join(PROM_DIR, 'scrape.yml'), 'utf8'), 'scrape_interval: 15s', 'scrape_interval: 1s'),
    'targets: ["127.0.0.1:9478"]',
    `targets: ["${live}", "${dead}"]`,
  );
  return [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - ${JSON.stringify(path.join(PROM_DIR, 'rules.yml'))}`,
    scrape,
  ].join('\n');
}

function replaceOnce(text: string, from: string, to: string): string {
  const parts = text.split(from);
  if (parts.length !== 2) throw new Error(`expected ${JSON.stringify(from)} once in docs/prometheus/scrape.yml, found it ${parts.length - 1} times`);
  return parts.join(to);
}
