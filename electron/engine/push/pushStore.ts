/**
 * Pushgateway-compatible push groups (https://github.com/prometheus/pushgateway#api):
 * `PUT` replaces a group's metrics, `POST` replaces the pushed families only, `DELETE` removes
 * the group. A group is named by its grouping key (`job` plus the URL's label pairs); every
 * pushed sample gets the grouping labels, and `instance=""` when the key has no instance, as
 * Pushgateway does. `/metrics` re-exposes every group, with `push_time_seconds` and
 * `push_failure_time_seconds` per group.
 *
 * Unlike Pushgateway:
 * - Samples of the inherited `training_*` names are not kept: they become events for runs
 *   (inherited.ts), because those names are the engine's own series.
 * - Families whose names the engine exports itself (`trainwatch_*`, `process_*`, `nodejs_*`,
 *   the rest of the catalog, `push_*_time_seconds`) are dropped from the push and listed in the
 *   response: exposing them twice would make /metrics invalid. (prometheus_client's default
 *   registry pushes `process_*`; the rest of such a push is taken.)
 * - Groups expire `ttlSeconds` after their last successful push (0 keeps them until DELETE).
 * - Groups, series per group and the body are bounded; a push over a bound is refused.
 * - Counters that are negative or NaN, histograms without `+Inf` or with non-cumulative
 *   buckets are refused (400), so a push can never make the whole scrape invalid.
 *
 * Time comes from the injected clock, and expiry is applied when a push arrives or /metrics is
 * rendered: no timers.
 */
import { METRIC_LIST } from '../../../shared/catalog.ts';
import type { Clock } from '../clock.ts';
import type { ExtraFamilies } from '../exporter/exporter.ts';
import type { ExpositionFormat } from '../exporter/negotiate.ts';
import { parseGroupingKey } from './groupingKey.ts';
import type { GroupingKey } from './groupingKey.ts';
import type { InheritedMapper, MapReport, Unmapped } from './inherited.ts';
import { describeSeries, parseTextFormat } from './textFormat.ts';
import type { PushedFamily, PushedSample } from './textFormat.ts';

export interface PushStoreOptions {
  clock: Clock;
  /** A group leaves /metrics this long after its last successful push; 0: never. */
  ttlSeconds: number;
  maxGroups: number;
  maxSeriesPerGroup: number;
}

export const DEFAULT_PUSH_OPTIONS: Omit<PushStoreOptions, 'clock'> = {
  ttlSeconds: 600,
  maxGroups: 1_000,
  maxSeriesPerGroup: 10_000,
};

/** What the HTTP layer sends back: a status and a JSON body. */
export interface PushOutcome {
  status: number;
  body: Record<string, unknown>;
}

/** Every way a push or delete ends: `ok`, or the code it was refused with (trainwatch_push_requests_total). */
export const PUSH_OUTCOMES = [
  'ok', 'bad_grouping_key', 'bad_exposition', 'label_conflict', 'type_conflict', 'too_many_series', 'too_many_groups', 'storage_failed',
  // Refused by the HTTP server before the body reaches the store (see refused()).
  'forbidden_origin', 'unauthorized', 'unsupported_media_type', 'unsupported_encoding', 'body_too_large',
] as const;
export type PushOutcomeCode = (typeof PUSH_OUTCOMES)[number];

interface Group {
  id: string;
  key: GroupingKey;
  families: Map<string, PushedFamily>;
  pushedAt: number;
  failedAt: number;
}

const PUSH_TIME = 'push_time_seconds';
const PUSH_FAILURE_TIME = 'push_failure_time_seconds';
const RESERVED_PREFIXES = ['trainwatch_', 'process_', 'nodejs_'];
const RESERVED = new Set<string>([PUSH_TIME, PUSH_FAILURE_TIME]);
for (const m of METRIC_LIST) {
  RESERVED.add(m.name);
  if (m.type === 'counter') RESERVED.add(m.name.replace(/_total$/, ''));
}

export class PushStore implements ExtraFamilies {
  private readonly groups = new Map<string, Group>();
  private readonly opts: PushStoreOptions;

  constructor(
    private readonly mapper: InheritedMapper | null,
    opts: Partial<PushStoreOptions> & { clock: Clock },
  ) {
    this.opts = { ...DEFAULT_PUSH_OPTIONS, ...opts };
    for (const k of ['ttlSeconds', 'maxGroups', 'maxSeriesPerGroup'] as const) {
      const v = this.opts[k];
      if (!Number.isFinite(v) || v < 0 || (k !== 'ttlSeconds' && v === 0)) throw new RangeError(`push option ${k} must be a ${k === 'ttlSeconds' ? 'number >= 0' : 'positive number'}, got ${v}`);
    }
  }

  /** Requests by outcome, for /metrics: every push and delete is counted, refusals by their code. */
  readonly outcomes = Object.fromEntries(PUSH_OUTCOMES.map((o) => [o, 0])) as Record<PushOutcomeCode, number>;

  get size(): number {
    this.expire();
    return this.groups.size;
  }

  /** A push the HTTP server refused before it got here (origin, auth, content type, size). */
  refused(code: PushOutcomeCode): void {
    this.outcomes[code]++;
  }

  private count(outcome: PushOutcome): PushOutcome {
    // Every refusal is built with a PushOutcomeCode (bad(), refuse(), storage_failed below).
    this.outcomes[outcome.status < 300 ? 'ok' : (outcome.body.error as { code: PushOutcomeCode }).code]++;
    return outcome;
  }

  /** PUT (replace the group) or POST (replace the pushed families). `path` follows `/metrics/`. */
  async push(method: 'PUT' | 'POST', path: string, text: string): Promise<PushOutcome> {
    return this.count(await this.replace(method, path, text));
  }

  private async replace(method: 'PUT' | 'POST', path: string, text: string): Promise<PushOutcome> {
    this.expire();
    const parsedKey = parseGroupingKey(path);
    if (!parsedKey.ok) return bad('bad_grouping_key', parsedKey.message);
    const key = parsedKey.key;
    const id = groupId(key);
    const existing = this.groups.get(id);
    const refuse = (code: PushOutcomeCode, message: string): PushOutcome => {
      if (existing) existing.failedAt = this.opts.clock.now();
      return bad(code, message);
    };

    const parsed = parseTextFormat(text, this.opts.maxSeriesPerGroup);
    if (!parsed.ok) return refuse('bad_exposition', parsed.line > 0 ? `line ${parsed.line}: ${parsed.message}` : parsed.message);

    const kept: PushedFamily[] = [];
    const inherited: PushedFamily[] = [];
    const dropped: Array<{ metric: string; reason: string }> = [];
    for (const f of parsed.families) {
      const conflict = labelConflict(key, f);
      if (conflict) return refuse('label_conflict', conflict);
      if (this.mapper?.owns(f.name)) {
        const problem = this.mapper.typeProblem(f);
        if (problem) return refuse('type_conflict', problem);
        inherited.push(f);
      } else if (reserved(f.name)) {
        dropped.push({ metric: f.name, reason: 'reserved_name' });
      } else kept.push(f);
    }
    for (const f of kept) {
      const problem = this.consistency(f, id);
      if (problem) return refuse('type_conflict', problem);
    }
    const families = new Map(method === 'PUT' || !existing ? [] : existing.families);
    for (const f of kept) families.set(f.name, f);
    const omNames = new Map<string, string>();
    for (const f of families.values()) {
      const other = omNames.get(omName(f));
      if (other !== undefined) return refuse('type_conflict', `${f.name} and ${other} would be the same OpenMetrics family ${omName(f)}`);
      omNames.set(omName(f), f.name);
    }
    const series = [...families.values()].reduce((n, f) => n + f.samples.length, 0);
    if (series > this.opts.maxSeriesPerGroup) {
      return refuse('too_many_series', `the group would hold ${series} series (limit ${this.opts.maxSeriesPerGroup})`);
    }
    if (!existing && this.groups.size >= this.opts.maxGroups) {
      return bad('too_many_groups', `${this.groups.size} push groups exist (limit ${this.opts.maxGroups}); DELETE unused groups or let them expire`);
    }

    const now = this.opts.clock.now();
    const group: Group = existing ?? { id, key, families, pushedAt: now, failedAt: 0 };
    group.families = families;
    group.pushedAt = now;
    this.groups.set(id, group);

    let mapped: MapReport | null = null;
    if (inherited.length > 0 && this.mapper) {
      try {
        mapped = await this.mapper.map(id, key, inherited);
      } catch (err) {
        group.failedAt = this.opts.clock.now();
        return { status: 503, body: { error: { code: 'storage_failed', message: `events from the inherited metrics could not be written to disk: ${(err as Error).message}` } } };
      }
    }
    const unmapped: Array<Unmapped | { metric: string; reason: string }> = [...dropped, ...(mapped?.unmapped ?? [])];
    return {
      status: 200,
      body: {
        group: Object.fromEntries(key),
        kept: { families: kept.length, series: kept.reduce((n, f) => n + f.samples.length, 0) },
        events: mapped?.events ?? { accepted: 0, rejected: 0, errors: [] },
        not_mapped: unmapped,
      },
    };
  }

  /** DELETE: removes the group (202 whether or not it existed, like Pushgateway). */
  delete(path: string): PushOutcome {
    const parsedKey = parseGroupingKey(path);
    if (!parsedKey.ok) return this.count(bad('bad_grouping_key', parsedKey.message));
    const deleted = this.groups.delete(groupId(parsedKey.key));
    return this.count({ status: 202, body: { group: Object.fromEntries(parsedKey.key), deleted } });
  }

  /** Every group's families, merged by name, then push_time_seconds and push_failure_time_seconds. */
  render(format: ExpositionFormat): string {
    this.expire();
    if (this.groups.size === 0) return '';
    const groups = [...this.groups.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const byName = new Map<string, Array<{ group: Group; family: PushedFamily }>>();
    for (const group of groups) {
      for (const family of group.families.values()) {
        let list = byName.get(family.name);
        if (!list) byName.set(family.name, (list = []));
        list.push({ group, family });
      }
    }
    let out = '';
    for (const name of [...byName.keys()].sort()) {
      const members = byName.get(name)!;
      const first = members[0]!.family;
      const help = members.find((m) => m.family.help !== null)?.family.help ?? null;
      out += header(name, first.type, help, format);
      for (const { group, family } of members) for (const s of family.samples) out += sampleLine(s, group.key, format);
    }
    out += header(PUSH_TIME, 'gauge', 'Last Unix time when changing this group in the Pushgateway succeeded.', format);
    for (const g of groups) out += sampleLine({ name: PUSH_TIME, labels: [], value: g.pushedAt }, g.key, format);
    out += header(PUSH_FAILURE_TIME, 'gauge', 'Last Unix time when changing this group in the Pushgateway failed.', format);
    for (const g of groups) out += sampleLine({ name: PUSH_FAILURE_TIME, labels: [], value: g.failedAt }, g.key, format);
    return out;
  }

  private expire(): void {
    if (this.opts.ttlSeconds === 0) return;
    const now = this.opts.clock.now();
    for (const [id, g] of this.groups) if (now - g.pushedAt > this.opts.ttlSeconds) this.groups.delete(id);
  }

  /**
   * One name, one type across all groups (Pushgateway refuses a push that disagrees), and no two
   * names that become the same OpenMetrics family (a counter `x_total` and anything named `x`).
   */
  private consistency(f: PushedFamily, id: string): string | null {
    for (const g of this.groups.values()) {
      if (g.id === id) continue;
      const other = g.families.get(f.name);
      if (other && other.type !== f.type) {
        return `${f.name} is pushed as ${f.type}, but group ${describeSeries('', g.key)} has it as ${other.type}`;
      }
      for (const o of g.families.values()) {
        if (o.name !== f.name && omName(o) === omName(f)) {
          return `${f.name} (${f.type}) and ${o.name} (${o.type}, group ${describeSeries('', g.key)}) would be the same OpenMetrics family ${omName(f)}`;
        }
      }
    }
    return null;
  }
}

function bad(code: PushOutcomeCode, message: string): PushOutcome {
  return { status: 400, body: { error: { code, message } } };
}

function reserved(name: string): boolean {
  return RESERVED.has(name) || RESERVED_PREFIXES.some((p) => name.startsWith(p));
}

function groupId(key: GroupingKey): string {
  return JSON.stringify([...key].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}

/** A sample label that contradicts the grouping key (Pushgateway refuses those too). */
function labelConflict(key: GroupingKey, f: PushedFamily): string | null {
  for (const s of f.samples) {
    for (const [k, v] of s.labels) {
      const g = key.find(([gk]) => gk === k);
      if (g && g[1] !== v) return `${describeSeries(s.name, s.labels)} has ${k}=${JSON.stringify(v)}, but the grouping key says ${k}=${JSON.stringify(g[1])}`;
    }
  }
  return null;
}

/** The family name OpenMetrics uses: counters lose `_total` (their samples keep it). */
function omName(f: PushedFamily): string {
  return f.type === 'counter' && f.name.endsWith('_total') ? f.name.slice(0, -'_total'.length) : f.name;
}

function header(name: string, type: PushedFamily['type'], help: string | null, format: ExpositionFormat): string {
  if (format === 'text') {
    return `${help === null ? '' : `# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n`}# TYPE ${name} ${type}\n`;
  }
  // OpenMetrics: counters without _total in the family name; untyped is `unknown`; a counter
  // whose name has no _total cannot keep its sample name as a counter, so it is `unknown` too.
  let omType: string = type;
  let family = name;
  if (type === 'untyped') omType = 'unknown';
  else if (type === 'counter') {
    if (name.endsWith('_total')) family = name.slice(0, -'_total'.length);
    else omType = 'unknown';
  }
  const escaped = help?.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `# TYPE ${family} ${omType}\n${escaped === undefined ? '' : `# HELP ${family} ${escaped}\n`}`;
}

function sampleLine(s: PushedSample, key: GroupingKey, format: ExpositionFormat): string {
  const own = s.labels.filter(([k]) => k !== 'le' && k !== 'quantile');
  const labels: Array<[string, string]> = [...own];
  for (const [k, v] of key) if (!labels.some(([l]) => l === k)) labels.push([k, v]);
  if (!labels.some(([l]) => l === 'instance')) labels.push(['instance', '']);
  for (const special of ['le', 'quantile']) {
    const v = s.labels.find(([k]) => k === special)?.[1];
    if (v !== undefined) labels.push([special, special === 'le' && format === 'openmetrics' ? canonicalFloat(v) : v]);
  }
  const body = labels.map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`).join(',');
  return `${s.name}{${body}} ${formatValue(s.value)}\n`;
}

/** OpenMetrics wants `le` as a canonical float: `1.0`, `+Inf`. */
function canonicalFloat(v: string): string {
  const n = Number(v.toLowerCase().replace(/^\+?inf(inity)?$/, 'Infinity').replace(/^-inf(inity)?$/, '-Infinity'));
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return v;
  return Number.isInteger(n) && Math.abs(n) < 1e21 ? `${n}.0` : String(n);
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
