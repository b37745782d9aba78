/**
 * Push groups as Pushgateway keeps them: grouping keys from the URL, PUT/POST/DELETE semantics,
 * re-exposition in both formats, expiry on an injected clock, bounds and conflicts. Plus the
 * reconstruction of duration observations from pushed histogram increases.
 */
import { describe, expect, it } from 'vitest';
import { PHASE_METRIC } from '../../../shared/catalog.ts';
import { ManualClock } from '../../../electron/engine/clock.ts';
import { parseGroupingKey } from '../../../electron/engine/push/groupingKey.ts';
import { reconstruct } from '../../../electron/engine/push/inherited.ts';
import { PushStore } from '../../../electron/engine/push/pushStore.ts';
import { bucketIndex } from '../../../shared/math/histogram.ts';
import { parseExposition, semanticProblems } from '../../helpers/exposition.ts';

describe('grouping keys in the URL', () => {
  it.each([
    ['a job', 'job/train', [['job', 'train']]],
    ['label pairs in order', 'job/train/instance/gpu1/zone/a', [['job', 'train'], ['instance', 'gpu1'], ['zone', 'a']]],
    ['percent-encoding (and + left as +, as Pushgateway does)', 'job/my%20job/host/a+b', [['job', 'my job'], ['host', 'a+b']]],
    ['base64url values', 'job@base64/L3Zhci90bXA/path@base64/L3Zhci90bXA=', [['job', '/var/tmp'], ['path', '/var/tmp']]],
    ['an empty value as =', 'job/x/empty@base64/=', [['job', 'x'], ['empty', '']]],
    ['a trailing slash', 'job/x/', [['job', 'x']]],
  ])('reads %s', (_name, path, key) => {
    expect(parseGroupingKey(path)).toEqual({ ok: true, key });
  });

  it.each([
    ['an odd number of components', 'job/x/instance', 'odd number of components in the grouping key path /metrics/job/x/instance'],
    ['an empty job', 'job/', 'the job name must not be empty'],
    ['a bad label name', 'job/x/0bad/y', 'invalid label name "0bad" in the grouping key'],
    ['a reserved label name', 'job/x/__name__/y', 'label name "__name__" is reserved'],
    ['a repeated label', 'job/x/a/1/a/2', 'label "a" appears twice in the grouping key'],
    ['broken base64', 'job/x/a@base64/%%%', 'invalid base64url encoding in the value of "a": "%%%"'],
    ['broken percent-encoding', 'job/%E0%A4%A', 'invalid percent encoding in the value of "job": "%E0%A4%A"'],
  ])('refuses %s', (_name, path, message) => {
    expect(parseGroupingKey(path)).toEqual({ ok: false, message });
  });
});

function store(clock = new ManualClock(1_000), opts: Partial<ConstructorParameters<typeof PushStore>[1]> = {}) {
  return new PushStore(null, { clock, ttlSeconds: 600, ...opts });
}

describe('push groups', () => {
  it('re-exposes every group with its grouping labels, instance="" and push_time_seconds', async () => {
    const s = store();
    expect((await s.push('PUT', 'job/a/host/h1', '# HELP up_jobs Jobs up\n# TYPE up_jobs gauge\nup_jobs{kind="x"} 3\n')).status).toBe(200);
    expect((await s.push('PUT', 'job/b', '# TYPE up_jobs gauge\nup_jobs 5\n')).status).toBe(200);
    expect(s.render('text')).toBe(
      [
        '# HELP up_jobs Jobs up',
        '# TYPE up_jobs gauge',
        'up_jobs{kind="x",job="a",host="h1",instance=""} 3',
        'up_jobs{job="b",instance=""} 5',
        '# HELP push_time_seconds Last Unix time when changing this group in the Pushgateway succeeded.',
        '# TYPE push_time_seconds gauge',
        'push_time_seconds{job="a",host="h1",instance=""} 1000',
        'push_time_seconds{job="b",instance=""} 1000',
        '# HELP push_failure_time_seconds Last Unix time when changing this group in the Pushgateway failed.',
        '# TYPE push_failure_time_seconds gauge',
        'push_failure_time_seconds{job="a",host="h1",instance=""} 0',
        'push_failure_time_seconds{job="b",instance=""} 0',
        '',
      ].join('\n'),
    );
  });

  it('PUT replaces the group, POST replaces only the pushed families, DELETE removes it', async () => {
    const s = store();
    await s.push('PUT', 'job/j', 'a 1\nb 2\n');
    await s.push('POST', 'job/j', 'b 3\nc 4\n');
    expect(samples(s)).toEqual(['a{job="j",instance=""} 1', 'b{job="j",instance=""} 3', 'c{job="j",instance=""} 4']);
    await s.push('PUT', 'job/j', 'c 5\n');
    expect(samples(s)).toEqual(['c{job="j",instance=""} 5']);
    expect(s.delete('job/j')).toEqual({ status: 202, body: { group: { job: 'j' }, deleted: true } });
    expect(s.render('text')).toBe('');
  });

  it('expires a group ttlSeconds after its last push, counted on the injected clock', async () => {
    const clock = new ManualClock(1_000);
    const s = store(clock, { ttlSeconds: 60 });
    await s.push('PUT', 'job/old', 'x 1\n');
    clock.advance(30);
    await s.push('PUT', 'job/new', 'x 2\n');
    clock.advance(31);
    expect(samples(s)).toEqual(['x{job="new",instance=""} 2']);
    clock.advance(30);
    expect(s.render('text')).toBe('');
    const forever = store(clock, { ttlSeconds: 0 });
    await forever.push('PUT', 'job/j', 'x 1\n');
    clock.advance(1e9);
    expect(forever.size).toBe(1);
  });

  it('renders OpenMetrics: counters without _total in the family, untyped as unknown, canonical le', async () => {
    const s = store();
    await s.push(
      'PUT',
      'job/om',
      '# HELP done_total Things "done"\n# TYPE done_total counter\ndone_total 2\n# TYPE raw_count counter\nraw_count 1\nthing 1\n# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n',
    );
    const om = s.render('openmetrics');
    expect(om).toContain('# TYPE done counter\n# HELP done Things \\"done\\"\ndone_total{job="om",instance=""} 2\n');
    expect(om).toContain('# TYPE raw_count unknown\nraw_count{job="om",instance=""} 1\n');
    expect(om).toContain('# TYPE thing unknown\nthing{job="om",instance=""} 1\n');
    expect(om).toContain('h_bucket{job="om",instance="",le="1.0"} 1\nh_bucket{job="om",instance="",le="+Inf"} 1\n');
    expect(om).not.toContain('\n\n');
    expect(semanticProblems(parseExposition(om))).toEqual([]);
  });

  it.each([
    ['a bad grouping key', 'job', 'a 1\n', { code: 'bad_grouping_key', message: 'odd number of components in the grouping key path /metrics/job' }],
    ['a malformed body', 'job/x', 'a{ 1\n', { code: 'bad_exposition', message: 'line 1: invalid label name in "a{ 1"' }],
    ['a label that contradicts the grouping key', 'job/x', 'a{job="y"} 1\n', { code: 'label_conflict', message: 'a{job="y"} has job="y", but the grouping key says job="x"' }],
    ['a counter x_total beside a family x', 'job/x', '# TYPE x_total counter\nx_total 1\nx 2\n', { code: 'type_conflict', message: 'x and x_total would be the same OpenMetrics family x' }],
  ])('refuses %s with 400', async (_name, path, body, error) => {
    expect(await store().push('PUT', path, body)).toEqual({ status: 400, body: { error } });
  });

  it('refuses a type that contradicts another group, and records the failure time for an existing group', async () => {
    const clock = new ManualClock(1_000);
    const s = store(clock);
    await s.push('PUT', 'job/a', '# TYPE m gauge\nm 1\n');
    await s.push('PUT', 'job/b', '# TYPE m gauge\nm 1\n');
    clock.advance(5);
    expect(await s.push('PUT', 'job/b', '# TYPE m counter\nm 1\n')).toEqual({
      status: 400,
      body: { error: { code: 'type_conflict', message: 'm is pushed as counter, but group {job="a"} has it as gauge' } },
    });
    expect(s.render('text')).toContain('push_failure_time_seconds{job="b",instance=""} 1005\n');
    expect(s.render('text')).toContain('m{job="b",instance=""} 1\n');
  });

  it('drops the families Trainwatch exports itself and says so, keeping the rest of the push', async () => {
    const out = await store().push('PUT', 'job/x', 'process_cpu_seconds_total 1\ntrainwatch_runs 2\ntraining_jobs_active 1\npush_time_seconds 4\nmine 5\n');
    expect(out).toEqual({
      status: 200,
      body: {
        group: { job: 'x' },
        kept: { families: 1, series: 1 },
        events: { accepted: 0, rejected: 0, errors: [] },
        not_mapped: ['process_cpu_seconds_total', 'trainwatch_runs', 'training_jobs_active', 'push_time_seconds'].map((metric) => ({ metric, reason: 'reserved_name' })),
      },
    });
  });

  it('bounds groups and series per group', async () => {
    const s = store(new ManualClock(), { maxGroups: 2, maxSeriesPerGroup: 3 });
    await s.push('PUT', 'job/a', 'x 1\n');
    await s.push('PUT', 'job/b', 'x 1\n');
    expect(await s.push('PUT', 'job/c', 'x 1\n')).toEqual({
      status: 400,
      body: { error: { code: 'too_many_groups', message: '2 push groups exist (limit 2); DELETE unused groups or let them expire' } },
    });
    await s.push('PUT', 'job/a', 'y 1\nz 1\n');
    expect(await s.push('POST', 'job/a', 'x 1\nw 1\n')).toEqual({
      status: 400,
      body: { error: { code: 'too_many_series', message: 'the group would hold 4 series (limit 3)' } },
    });
    expect((await s.push('PUT', 'job/a', 'x{i="1"} 1\nx{i="2"} 1\nx{i="3"} 1\nx{i="4"} 1\n')).body).toEqual({
      error: { code: 'bad_exposition', message: 'line 4: more than 3 samples in one push' },
    });
  });
});

describe('duration observations rebuilt from a histogram increase', () => {
  const bounds = PHASE_METRIC.policy_update.buckets!; // 0.1, 0.5, 1, 2, 5, 10, 30
  const place = (values: number[]) => {
    const counts = new Array<number>(bounds.length + 1).fill(0);
    for (const v of values) counts[bucketIndex(bounds, v)]!++;
    return counts;
  };

  it.each([
    ['one per bucket', [0.05, 0.3, 4]],
    ['several in one bucket', [0.2, 0.2, 0.4, 0.45]],
    ['values at the upper bounds', [0.1, 0.5, 30]],
    ['some above the last bound', [0.05, 45, 100]],
  ])('%s: same buckets, same count, same sum', (_name, values) => {
    const sum = values.reduce((a, b) => a + b, 0);
    const out = reconstruct(bounds, place(values), sum);
    expect(place(out)).toEqual(place(values));
    expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(sum, 9);
    for (const v of out) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('keeps the buckets when the sum cannot fit them (midpoints, sum approximate)', () => {
    const out = reconstruct(bounds, place([0.3, 0.3]), 99);
    expect(out.map((v) => v.toFixed(9))).toEqual(['0.300000000', '0.300000000']);
  });
});

function samples(s: PushStore): string[] {
  return s
    .render('text')
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith('push_'));
}
