/**
 * docs/prometheus/ with Debian's real promtool: the rules load, their unit tests pass, every
 * rule has unit tests, and the unit tests are strong enough to catch the three mistakes of the
 * original module's rules. A configuration made of scrape.yml and rules.yml passes
 * `promtool check config`. (test/prometheus/live.test.ts evaluates the same rules in a real
 * Prometheus.)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT_DIR } from '../helpers/cli.ts';
import { METRIC_LIST } from '../../shared/catalog.ts';
import { PROMTOOL, missingPromtool } from '../helpers/parts.ts';

const skipReason = missingPromtool();
const PROM_DIR = path.join(ROOT_DIR, 'docs', 'prometheus');
const RULES = readFileSync(path.join(PROM_DIR, 'rules.yml'), 'utf8');
const TESTS = readFileSync(path.join(PROM_DIR, 'rules.test.yml'), 'utf8');
const SCRAPE = readFileSync(path.join(PROM_DIR, 'scrape.yml'), 'utf8');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tw-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(PROMTOOL, args, { encoding: 'utf8', cwd: tmp });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

interface Rule {
  kind: 'record' | 'alert';
  name: string;
  /** The rule's YAML lines, as written. */
  text: string;
}

/** The rules of rules.yml: each `- record:` / `- alert:` item up to the next one. */
function rules(yaml: string): Rule[] {
  const starts = [...yaml.matchAll(/^ {6}- (record|alert): (\S+)$/gm)];
  return starts.map((m, i) => ({
    kind: m[1] as Rule['kind'],
    name: m[2]!,
    text: yaml.slice(m.index, i + 1 < starts.length ? starts[i + 1]!.index : undefined).replace(/\n {2}- name: [\s\S]*$/, ''),
  }));
}

/** The metric names a rule's expression uses (label matchers and strings removed). */
function metricNames(text: string): string[] {
  const expr = text.replace(/^[\s\S]*?expr: /, '').replace(/\n {8}(for|labels|annotations):[\s\S]*$/, '');
  const bare = expr.replace(/\{[^}]*\}/g, '').replace(/"[^"]*"/g, '');
  return [...new Set([...bare.matchAll(/\b((?:training|trainwatch)_[a-z0-9_]+|up)\b/g)].map((m) => m[1]!))];
}

describe.skipIf(skipReason !== null)(`docs/prometheus with promtool${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  it('promtool check rules accepts rules.yml: 14 rules', () => {
    expect(promtool('check', 'rules', path.join(PROM_DIR, 'rules.yml'))).toEqual({
      status: 0,
      output: `Checking ${path.join(PROM_DIR, 'rules.yml')}\n  SUCCESS: 14 rules found\n\n`,
    });
  });

  it('promtool test rules passes every unit test in rules.test.yml', () => {
    const r = spawnSync(PROMTOOL, ['test', 'rules', 'rules.test.yml'], { encoding: 'utf8', cwd: PROM_DIR });
    expect({ status: r.status, output: `${r.stdout}${r.stderr}`.trim() }).toEqual({ status: 0, output: 'Unit Testing:  rules.test.yml\n  SUCCESS' });
  });

  // Each of the original guide's mistakes, put back into a copy of rules.yml: the unit tests must fail.
  const mistakes: Array<[string, string, string, string]> = [
    [
      'a failure ratio divided by created jobs without the > 0 guard (fires on +Inf)',
      '(sum by (agent_id) (increase(training_jobs_created_total[1h])) > 0)\n            > 0.1',
      'sum by (agent_id) (increase(training_jobs_created_total[1h]))\n            > 0.1',
      'alertname: TrainingJobFailureRateHigh, time: 1h40m',
    ],
    [
      'a quantile of buckets summed without le',
      'histogram_quantile(0.95, sum by (le, agent_id) (rate(training_trajectory_generation_duration_seconds_bucket[5m])))\n',
      'histogram_quantile(0.95, sum by (agent_id) (rate(training_trajectory_generation_duration_seconds_bucket[5m])))\n',
      'agent_id:training_trajectory_generation_duration_seconds:p95_rate5m',
    ],
    [
      'a long-running job alert that ignores whether the job has ended',
      'time() - training_job_start_time_seconds > 6 * 3600\n            and ignoring (status)\n          training_job_status{status=~"running|stalled"} == 1',
      'time() - training_job_start_time_seconds > 6 * 3600',
      'alertname: TrainingJobRunningTooLong, time: 6h10m',
    ],
    [
      'budget alerts that ignore whether the job has ended',
      'training_budget_utilization_percent >= 100\n            and ignoring (status)\n          training_job_status{status=~"running|stalled"} == 1',
      'training_budget_utilization_percent >= 100',
      'alertname: TrainingJobBudgetExceeded, time: 2m',
    ],
  ];
  it.each(mistakes)('the unit tests catch %s', (_name, correct, wrong, failure) => {
    expect(RULES.split(correct).length).toBeGreaterThan(1);
    writeFileSync(path.join(tmp, 'rules.yml'), RULES.replaceAll(correct, wrong));
    copyFileSync(path.join(PROM_DIR, 'rules.test.yml'), path.join(tmp, 'rules.test.yml'));
    const r = promtool('test', 'rules', 'rules.test.yml');
    expect(r.status).toBe(1);
    expect(r.output).toContain('FAILED');
    expect(r.output).toContain(failure);
  });

  it('promtool check config accepts a prometheus.yml made of scrape.yml and rules.yml', () => {
    const config = path.join(tmp, 'prometheus.yml');
    writeFileSync(config, `rule_files:\n  - ${JSON.stringify(path.join(PROM_DIR, 'rules.yml'))}\n${SCRAPE}`);
    const r = promtool('check', 'config', config);
    expect(r.output).toContain('SUCCESS: 1 rule files found');
    expect(r.output).toContain(`SUCCESS: ${config} is valid prometheus config file syntax`);
    expect(r.status).toBe(0);
  });
});

describe('docs/prometheus/rules.yml', () => {
  const all = rules(RULES);

  it('has the 6 recording rules and 8 alerts of the guide', () => {
    expect(all.map((r) => `${r.kind} ${r.name}`)).toEqual([
      'record agent_id:training_job_success:ratio_rate1h',
      'record agent_id:training_job_failure:ratio_rate1h',
      'record agent_id:training_trajectory_generation_duration_seconds:p95_rate5m',
      'record agent_id:training_policy_update_duration_seconds:p95_rate5m',
      'record agent_id:training_iteration_duration_seconds:p95_rate5m',
      'record agent_id:training_checkpoint_save_duration_seconds:p95_rate5m',
      'alert TrainingJobFailureRateHigh',
      'alert TrainingJobBudgetExceeded',
      'alert TrainingJobBudgetWarning',
      'alert TrainingTrajectoryGenerationSlow',
      'alert TrainingJobRunningTooLong',
      'alert TrainingJobStalled',
      'alert TrainwatchIngestErrors',
      'alert TrainwatchDown',
    ]);
  });

  it('names recording rules level:metric:operations, aggregated to the level', () => {
    for (const r of all.filter((x) => x.kind === 'record')) {
      const [level, metric, ops] = r.name.split(':');
      expect(level, r.name).toBe('agent_id');
      expect(metric, r.name).toMatch(/^training_[a-z_]+$/);
      expect(ops, r.name).toMatch(/^(ratio_rate1h|p95_rate5m)$/);
      expect(r.text, r.name).toContain(ops === 'p95_rate5m' ? 'sum by (le, agent_id)' : 'sum by (agent_id)');
    }
  });

  it('uses only metrics of the catalog', () => {
    const known = new Set(['up', ...METRIC_LIST.flatMap((m) => (m.type === 'histogram' ? ['_bucket', '_sum', '_count'].map((s) => m.name + s) : [m.name]))]);
    for (const r of all) {
      const names = metricNames(r.text);
      expect(names.length, r.name).toBeGreaterThan(0);
      for (const n of names) expect(known, `${r.name} uses ${n}`).toContain(n);
    }
  });

  it('gives every alert a severity, a summary and a description that names its job (or agent, or instance)', () => {
    for (const r of all.filter((x) => x.kind === 'alert')) {
      expect(r.text, r.name).toMatch(/\n {10}severity: (warning|critical)\n/);
      expect(r.text, r.name).toMatch(/\n {10}summary: ".+"\n/);
      const description = /\n {10}description: "(.+)"\n/.exec(r.text)?.[1];
      expect(description, r.name).toBeDefined();
      const subject = r.text.includes('job_id') || /training_job_|training_budget_/.test(r.text) ? 'job_id' : r.text.includes('agent_id') ? 'agent_id' : 'instance';
      expect(description, r.name).toContain(`{{ $labels.${subject} }}`);
    }
  });

  it('matches TrainwatchDown to the job_name of scrape.yml', () => {
    expect(SCRAPE).toMatch(/^ {2}- job_name: trainwatch$/m);
    expect(RULES).toContain('expr: up{job="trainwatch"} == 0');
  });
});

describe('docs/prometheus/rules.test.yml', () => {
  const tests = TESTS.split(/^ {2}- name: /m).slice(1);

  it.each(rules(RULES).filter((r) => r.kind === 'alert').map((r) => r.name))('tests alert %s firing and silent', (name) => {
    const cases = [...TESTS.matchAll(new RegExp(`- eval_time: \\S+\\n {8}alertname: ${name}\\n(?: {8}exp_alerts:)?`, 'g'))].map((m) => m[0]);
    expect(cases.filter((c) => c.includes('exp_alerts')).length, `${name} fires`).toBeGreaterThanOrEqual(1);
    expect(cases.filter((c) => !c.includes('exp_alerts')).length, `${name} stays silent`).toBeGreaterThanOrEqual(1);
  });

  it.each(rules(RULES).filter((r) => r.kind === 'record').map((r) => r.name))('tests the value of recording rule %s', (name) => {
    expect(tests.some((t) => new RegExp(`- expr: (round\\()?${name}\\b`).test(t))).toBe(true);
  });
});
