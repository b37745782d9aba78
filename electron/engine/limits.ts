/**
 * The engine's resource bounds as the UI shows them (EngineInfo.limits): every bound of
 * RELIABILITY.md's promise 6 with its value and how often it was hit, read from the same
 * counters /metrics serves, so the page and a scrape never disagree.
 */
import type { EngineLimit } from '../../shared/api.ts';
import { LIMITS } from '../../shared/protocol/events.ts';
import type { IngestStats } from './ingest/stats.ts';
import type { RunStore } from './store/runStore.ts';

export interface LimitOptions {
  maxRuns: number;
  maxAgents?: number;
  maxScalarsPerJob: number;
  maxPointsPerSeries: number;
  maxLineBytes: number;
  hardLineBytes: number;
  maxIngestConnections: number;
  maxBodyBytes: number;
  maxUnreadReplyBytes: number;
  streamIdleTimeoutMs: number;
}

const errors = (reason: string) => `trainwatch_ingest_errors_total{reason="${reason}"}`;
const closed = (reason: string) => `trainwatch_ingest_connections_closed_total{reason="${reason}"}`;

export function engineLimits(o: LimitOptions, stats: IngestStats, store: RunStore): EngineLimit[] {
  const e = stats.errors;
  return [
    { key: 'runs', what: 'running and imported runs in memory (ended runs are on disk, their series loaded on demand)', limit: o.maxRuns, unit: 'runs', effect: 'a new job is refused while all are running', hits: e.too_many_jobs, metric: errors('too_many_jobs') },
    { key: 'agents', what: 'distinct agent_id values', limit: o.maxAgents ?? 1_000, unit: 'agents', effect: 'events with a new agent_id are refused', hits: e.too_many_agents, metric: errors('too_many_agents') },
    { key: 'scalars', what: 'scalar series per job', limit: o.maxScalarsPerJob, unit: 'series', effect: 'a new scalar name is refused', hits: e.too_many_scalars, metric: errors('too_many_scalars') },
    { key: 'label_value', what: 'job_id / agent_id length (label values)', limit: LIMITS.idLength, unit: 'characters', effect: 'the line is refused', hits: e.field_too_long, metric: errors('field_too_long') },
    { key: 'points', what: 'points per series in memory', limit: o.maxPointsPerSeries, unit: 'points', effect: 'the whole series is downsampled 2:1, evenly over the run (the log keeps every point)', hits: store.compactions, metric: 'trainwatch_series_compactions_total' },
    { key: 'line', what: 'stream line length', limit: o.maxLineBytes, unit: 'bytes', effect: 'the line is refused', hits: e.line_too_long, metric: errors('line_too_long') },
    { key: 'hard_line', what: 'stream line length before the connection is closed', limit: o.hardLineBytes, unit: 'bytes', effect: 'the connection is closed', hits: stats.closed.line_too_long, metric: closed('line_too_long') },
    { key: 'connections', what: 'open stream connections', limit: o.maxIngestConnections, unit: 'connections', effect: 'a new connection is refused', hits: stats.closed.too_many_connections, metric: closed('too_many_connections') },
    { key: 'body', what: 'HTTP ingest body', limit: o.maxBodyBytes, unit: 'bytes', effect: 'the request is answered 413', hits: e.body_too_large, metric: errors('body_too_large') },
    { key: 'unread', what: 'replies a stream client leaves unread', limit: o.maxUnreadReplyBytes, unit: 'bytes', effect: 'the client is disconnected', hits: stats.closed.slow_reader, metric: closed('slow_reader') },
    { key: 'idle', what: 'silence on a stream connection', limit: o.streamIdleTimeoutMs / 1000, unit: 'seconds', effect: 'the connection is closed', hits: stats.closed.idle_timeout, metric: closed('idle_timeout') },
  ];
}
