/**
 * The metric catalog: every metric Trainwatch exports, with its name, type, help, labels and
 * buckets. The exporter builds its registry from this list, and docs and tests read it; nothing
 * else spells a metric name.
 *
 * The `inherited` group is the wire contract of the original Python training service
 * (prometheus_client): names, help texts, labels and buckets are kept byte for byte, even where
 * they break a convention (`training_iteration_total` is a gauge).
 */
import type { Phase } from './protocol/events.ts';

export type MetricType = 'counter' | 'gauge' | 'histogram';
export type MetricGroup = 'inherited' | 'job' | 'self';

export interface MetricDef {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly buckets?: readonly number[];
  readonly group: MetricGroup;
}

function def<const N extends string>(
  name: N,
  type: MetricType,
  help: string,
  labelNames: readonly string[],
  group: MetricGroup,
  buckets?: readonly number[],
): MetricDef & { name: N } {
  return buckets ? { name, type, help, labelNames, group, buckets } : { name, type, help, labelNames, group };
}

const AGENT = ['agent_id'] as const;
const JOB = ['agent_id', 'job_id'] as const;

export const METRICS = {
  jobsCreated: def('training_jobs_created_total', 'counter', 'Total number of training jobs created', AGENT, 'inherited'),
  jobsCompleted: def('training_jobs_completed_total', 'counter', 'Total number of training jobs completed successfully', AGENT, 'inherited'),
  jobsFailed: def('training_jobs_failed_total', 'counter', 'Total number of training jobs failed', AGENT, 'inherited'),
  jobsCancelled: def('training_jobs_cancelled_total', 'counter', 'Total number of training jobs cancelled', AGENT, 'inherited'),
  jobsActive: def('training_jobs_active', 'gauge', 'Number of currently active training jobs', [], 'inherited'),
  trajectoryGeneration: def(
    'training_trajectory_generation_duration_seconds', 'histogram', 'Time to generate trajectory batch', AGENT, 'inherited',
    [1, 5, 10, 30, 60, 120, 300],
  ),
  policyUpdate: def(
    'training_policy_update_duration_seconds', 'histogram', 'Time to update policy after training iteration', AGENT, 'inherited',
    [0.1, 0.5, 1, 2, 5, 10, 30],
  ),
  iteration: def(
    'training_iteration_duration_seconds', 'histogram', 'Time to complete one training iteration', AGENT, 'inherited',
    [5, 10, 30, 60, 120, 300, 600],
  ),
  checkpointSave: def(
    'training_checkpoint_save_duration_seconds', 'histogram', 'Time to save checkpoint', AGENT, 'inherited',
    [0.1, 0.5, 1, 2, 5, 10],
  ),
  budgetUsage: def('training_budget_usage_usd', 'gauge', 'Current budget usage in USD', JOB, 'inherited'),
  budgetLimit: def('training_budget_limit_usd', 'gauge', 'Budget limit in USD', JOB, 'inherited'),
  budgetUtilization: def('training_budget_utilization_percent', 'gauge', 'Budget utilization percentage (0-100)', JOB, 'inherited'),
  iterationCurrent: def('training_iteration_current', 'gauge', 'Current training iteration', JOB, 'inherited'),
  iterationTotal: def('training_iteration_total', 'gauge', 'Total training iterations planned', JOB, 'inherited'),
  loss: def('training_loss', 'gauge', 'Current training loss', JOB, 'inherited'),
  rewardMean: def('training_reward_mean', 'gauge', 'Mean reward across trajectories', JOB, 'inherited'),

  jobStatus: def(
    'training_job_status', 'gauge',
    'Current status of a training job: 1 for the status it is in, 0 for the others', ['agent_id', 'job_id', 'status'], 'job',
  ),
  jobStartTime: def('training_job_start_time_seconds', 'gauge', 'Unix time the training job was created', JOB, 'job'),
  jobLastEventTime: def(
    'training_job_last_event_time_seconds', 'gauge', 'Unix time Trainwatch last received an event for the training job', JOB, 'job',
  ),

  jobCpu: def(
    'training_job_process_cpu_ratio', 'gauge',
    "CPU used by the training job's process and its children at the last system sample, in CPUs (1 = one core busy)", JOB, 'job',
  ),
  jobRss: def(
    'training_job_process_resident_memory_bytes', 'gauge', "Resident memory of the training job's process and its children at the last system sample", JOB, 'job',
  ),
  jobGpuMemory: def(
    'training_job_gpu_memory_bytes', 'gauge', "GPU memory held by the training job's processes at the last system sample, summed over GPUs", JOB, 'job',
  ),

  ingestEvents: def('trainwatch_ingest_events_total', 'counter', 'Events accepted by the ingest pipeline, by event type', ['type'], 'self'),
  ingestErrors: def('trainwatch_ingest_errors_total', 'counter', 'Ingest input refused (lines, bodies, connections, unwritable events), by reason', ['reason'], 'self'),
  ingestDuplicates: def(
    'trainwatch_ingest_duplicates_total', 'counter', 'Events acknowledged but not applied because their seq was already seen', [], 'self',
  ),
  ingestImplicitJobs: def(
    'trainwatch_ingest_implicit_jobs_total', 'counter', 'Jobs created implicitly by an event that arrived before job_created', [], 'self',
  ),
  ingestConnections: def('trainwatch_ingest_connections_open', 'gauge', 'Open ingest stream connections, by transport', ['transport'], 'self'),
  ingestConnectionsTotal: def(
    'trainwatch_ingest_connections_accepted_total', 'counter', 'Ingest stream connections accepted, by transport', ['transport'], 'self',
  ),
  ingestClosed: def(
    'trainwatch_ingest_connections_closed_total', 'counter', 'Ingest stream connections closed by the engine, by reason', ['reason'], 'self',
  ),
  runs: def('trainwatch_runs', 'gauge', 'Runs held in the run store, by status', ['status'], 'self'),
  seriesPoints: def('trainwatch_series_points', 'gauge', 'Time-series points held in memory', [], 'self'),
  seriesCompactions: def(
    'trainwatch_series_compactions_total', 'counter', 'Times a full series was compacted 2:1 (every stored point, keeping minima and maxima), which doubles its bucket of raw points', [], 'self',
  ),
  exportedJobsOmitted: def(
    'trainwatch_exporter_jobs_omitted', 'gauge', 'Jobs left out of the per-job metrics because of the exported-jobs cap', [], 'self',
  ),
  runsRetired: def(
    'trainwatch_runs_retired_total', 'counter',
    'Ended runs deleted, by reason: age, count, bytes (retention), deleted (by a user); capacity: dropped from memory by a store without a data dir', ['reason'], 'self',
  ),
  storageBytes: def('trainwatch_storage_bytes', 'gauge', 'Bytes of run logs on disk', [], 'self'),
  storagePending: def('trainwatch_storage_pending_bytes', 'gauge', 'Bytes of accepted events not yet written to disk', [], 'self'),
  storageCommits: def('trainwatch_storage_commits_total', 'counter', 'Group commits (write + fsync) of run logs', [], 'self'),
  storageWriteErrors: def(
    'trainwatch_storage_write_errors_total', 'counter', 'Failed writes of run logs or totals; events then stay unacknowledged', [], 'self',
  ),
  storageRecovery: def(
    'trainwatch_storage_recovery_total', 'counter',
    'Damage repaired at start-up, by kind: torn_tail, corrupt_record, corrupt_file, temp_file, replay_rejected', ['kind'], 'self',
  ),
  storageStartup: def('trainwatch_storage_startup_seconds', 'gauge', 'Seconds the engine spent loading its history at start-up', [], 'self'),
  pushRequests: def(
    'trainwatch_push_requests_total', 'counter',
    'Pushgateway-compatible requests to /metrics/job/..., by outcome: ok, or the code it was refused with', ['outcome'], 'self',
  ),
  pushGroups: def('trainwatch_push_groups', 'gauge', 'Push groups held in /metrics (each expires --push-ttl after its last push)', [], 'self'),
  scrapes: def('trainwatch_scrapes_total', 'counter', 'Scrapes of /metrics served, by format', ['format'], 'self'),
  buildInfo: def('trainwatch_build_info', 'gauge', 'Always 1; labels carry the Trainwatch and protocol versions', ['version', 'protocol'], 'self'),
} as const;

export type MetricKey = keyof typeof METRICS;
export const METRIC_LIST: readonly MetricDef[] = Object.values(METRICS);

/** The inherited histogram for each duration phase of the protocol. */
export const PHASE_METRIC: Readonly<Record<Phase, MetricDef>> = {
  trajectory_generation: METRICS.trajectoryGeneration,
  policy_update: METRICS.policyUpdate,
  iteration: METRICS.iteration,
  checkpoint_save: METRICS.checkpointSave,
};
