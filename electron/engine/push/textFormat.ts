/**
 * A careful parser for the Prometheus text exposition format 0.0.4, for pushes
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 *
 * It follows the Go reference parser (prometheus/common expfmt) where the spec leaves room, and
 * refuses what Pushgateway refuses (sample timestamps, duplicate series, reserved label names),
 * plus what would make our own /metrics invalid: a histogram without `+Inf`, buckets that are not
 * cumulative, a `_count` that differs from `+Inf`, NaN or negative counters. Untrusted input:
 * never throws, returns the first problem with its line number.
 */

export const PUSHED_TYPES = ['counter', 'gauge', 'histogram', 'summary', 'untyped'] as const;
export type PushedType = (typeof PUSHED_TYPES)[number];

export interface PushedSample {
  /** The sample's own name: `x_bucket`, `x_sum`, … for histograms and summaries. */
  name: string;
  /** In the order they were written; unique names. */
  labels: Array<[string, string]>;
  value: number;
}

export interface PushedFamily {
  name: string;
  type: PushedType;
  help: string | null;
  samples: PushedSample[];
}

export type ParseResult = { ok: true; families: PushedFamily[] } | { ok: false; line: number; message: string };

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^-?\d+$/;

export function isMetricName(s: string): boolean {
  return METRIC_NAME.test(s);
}

export function isLabelName(s: string): boolean {
  return LABEL_NAME.test(s);
}

/** A float as Go's ParseFloat reads the exposition's values (no hex floats); null if it is not one. */
export function parseFloatValue(s: string): number | null {
  if (FLOAT.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (lower === 'nan') return Number.NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Infinity;
  if (/^-inf(inity)?$/.test(lower)) return -Infinity;
  return null;
}

class ParseError extends Error {}

export function parseTextFormat(text: string, maxSamples = Infinity): ParseResult {
  const families = new Map<string, PushedFamily>();
  /** Families that already have samples: a TYPE line must come before them. */
  const withSamples = new Set<string>();
  const helpSeen = new Set<string>();
  const typeSeen = new Set<string>();
  const seriesSeen = new Set<string>();
  let count = 0;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  let lineNo = 0;
  try {
    for (let raw of lines) {
      lineNo++;
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      const line = raw.replace(/^[ \t]+/, '');
      if (line === '') continue;
      if (line.startsWith('#')) {
        const m = /^#[ \t]*(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
        if (!m) continue; // any other comment
        const [, keyword, name, rest = ''] = m as unknown as [string, 'HELP' | 'TYPE', string, string | undefined];
        if (!isMetricName(name)) throw new ParseError(`invalid metric name ${JSON.stringify(name)} in ${keyword} line`);
        const family = families.get(name) ?? { name, type: 'untyped' as PushedType, help: null, samples: [] };
        if (keyword === 'HELP') {
          if (helpSeen.has(name)) throw new ParseError(`second HELP line for metric name ${JSON.stringify(name)}`);
          helpSeen.add(name);
          family.help = unescapeHelp(rest);
        } else {
          if (typeSeen.has(name)) throw new ParseError(`second TYPE line for metric name ${JSON.stringify(name)}`);
          if (withSamples.has(name)) throw new ParseError(`TYPE line for ${JSON.stringify(name)} after its samples; it must come first`);
          const type = rest.trim().toLowerCase();
          if (!(PUSHED_TYPES as readonly string[]).includes(type)) {
            throw new ParseError(`unknown metric type ${JSON.stringify(rest.trim())} for ${JSON.stringify(name)}; expected one of ${PUSHED_TYPES.join(', ')}`);
          }
          typeSeen.add(name);
          family.type = type as PushedType;
        }
        families.set(name, family);
        continue;
      }
      const sample = parseSample(line);
      const family = familyOf(sample, families);
      checkSampleShape(family, sample);
      const key = seriesKey(sample.name, sample.labels);
      if (seriesSeen.has(key)) throw new ParseError(`duplicate sample ${describeSeries(sample.name, sample.labels)}`);
      seriesSeen.add(key);
      if (++count > maxSamples) throw new ParseError(`more than ${maxSamples} samples in one push`);
      family.samples.push(sample);
      withSamples.add(family.name);
    }
  } catch (err) {
    if (err instanceof ParseError) return { ok: false, line: lineNo, message: err.message };
    throw err;
  }
  const out = [...families.values()].filter((f) => f.samples.length > 0);
  for (const f of out) {
    const problem = checkFamily(f);
    if (problem) return { ok: false, line: 0, message: problem };
  }
  return { ok: true, families: out };
}

/** `name{labels} value [timestamp]`, with blanks allowed between the tokens. */
function parseSample(line: string): PushedSample {
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ParseError(`invalid metric name at the start of ${JSON.stringify(clip(line))}`);
  const name = nameMatch[0];
  let i = name.length;
  const labels: Array<[string, string]> = [];
  if (line[skipBlanks(line, i)] === '{') {
    i = skipBlanks(line, i) + 1;
    const names = new Set<string>();
    for (;;) {
      i = skipBlanks(line, i);
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i))?.[0];
      if (!ln) throw new ParseError(`invalid label name in ${JSON.stringify(clip(line))}`);
      i = skipBlanks(line, i + ln.length);
      if (line[i] !== '=') throw new ParseError(`expected '=' after label name ${JSON.stringify(ln)} in ${JSON.stringify(clip(line))}`);
      i = skipBlanks(line, i + 1);
      if (line[i] !== '"') throw new ParseError(`expected '"' to start the value of label ${JSON.stringify(ln)} in ${JSON.stringify(clip(line))}`);
      i++;
      let value = '';
      for (;;) {
        if (i >= line.length) throw new ParseError(`unterminated value of label ${JSON.stringify(ln)}`);
        const c = line[i]!;
        if (c === '"') {
          i++;
          break;
        }
        if (c === '\\') {
          const e = line[i + 1];
          if (e === '\\') value += '\\';
          else if (e === '"') value += '"';
          else if (e === 'n') value += '\n';
          else throw new ParseError(`invalid escape sequence '\\${e ?? ''}' in the value of label ${JSON.stringify(ln)}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      if (ln.startsWith('__')) throw new ParseError(`label name ${JSON.stringify(ln)} is reserved (names starting with __ are Prometheus' own)`);
      if (names.has(ln)) throw new ParseError(`label ${JSON.stringify(ln)} appears twice in ${JSON.stringify(clip(line))}`);
      names.add(ln);
      labels.push([ln, value]);
      i = skipBlanks(line, i);
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] === '}') {
        i++;
        break;
      }
      throw new ParseError(`expected ',' or '}' after the value of label ${JSON.stringify(ln)} in ${JSON.stringify(clip(line))}`);
    }
  }
  const rest = line.slice(i);
  if (rest !== '' && !/^[ \t]/.test(rest)) throw new ParseError(`expected a blank before the value in ${JSON.stringify(clip(line))}`);
  const tokens = rest.trim().split(/[ \t]+/).filter((t) => t !== '');
  if (tokens.length === 0) throw new ParseError(`no value for ${JSON.stringify(name)}`);
  const value = parseFloatValue(tokens[0]!);
  if (value === null) throw new ParseError(`invalid value ${JSON.stringify(clip(tokens[0]!))} for ${JSON.stringify(name)}`);
  if (tokens.length === 2) {
    if (!INTEGER.test(tokens[1]!)) throw new ParseError(`invalid timestamp ${JSON.stringify(clip(tokens[1]!))} for ${JSON.stringify(name)}`);
    throw new ParseError(`sample ${JSON.stringify(name)} carries a timestamp; pushed metrics must not have timestamps`);
  }
  if (tokens.length > 2) throw new ParseError(`unexpected text after the value of ${JSON.stringify(name)}`);
  return { name, labels, value };
}

/** Which family a sample belongs to: `x_bucket`/`_sum`/`_count` of a histogram `x`, and so on. */
function familyOf(sample: PushedSample, families: Map<string, PushedFamily>): PushedFamily {
  const n = sample.name;
  for (const suffix of ['_bucket', '_sum', '_count'] as const) {
    if (!n.endsWith(suffix)) continue;
    const base = families.get(n.slice(0, -suffix.length));
    if (base && (base.type === 'histogram' || (base.type === 'summary' && suffix !== '_bucket'))) return base;
  }
  let family = families.get(n);
  if (!family) {
    family = { name: n, type: 'untyped', help: null, samples: [] };
    families.set(n, family);
  }
  return family;
}

function checkSampleShape(f: PushedFamily, s: PushedSample): void {
  const has = (l: string) => s.labels.some(([k]) => k === l);
  if (f.type === 'histogram') {
    if (s.name === f.name) throw new ParseError(`sample ${JSON.stringify(s.name)} of histogram ${JSON.stringify(f.name)} needs a _bucket, _sum or _count suffix`);
    if (s.name.endsWith('_bucket')) {
      const le = s.labels.find(([k]) => k === 'le')?.[1];
      if (le === undefined) throw new ParseError(`bucket ${describeSeries(s.name, s.labels)} has no le label`);
      if (parseFloatValue(le) === null) throw new ParseError(`bucket ${describeSeries(s.name, s.labels)} has an le that is not a number`);
    } else if (has('le')) throw new ParseError(`${describeSeries(s.name, s.labels)} must not carry an le label`);
  } else if (f.type === 'summary') {
    if (s.name === f.name) {
      const q = s.labels.find(([k]) => k === 'quantile')?.[1];
      const qv = q === undefined ? null : parseFloatValue(q);
      if (qv === null || !(qv >= 0 && qv <= 1)) throw new ParseError(`summary quantile ${describeSeries(s.name, s.labels)} needs a quantile label from 0 to 1`);
    } else if (has('quantile')) throw new ParseError(`${describeSeries(s.name, s.labels)} must not carry a quantile label`);
  } else if (f.type === 'counter' && !(s.value >= 0)) {
    throw new ParseError(`counter ${describeSeries(s.name, s.labels)} has value ${String(s.value)}; counters are never negative or NaN`);
  }
  if ((f.type === 'histogram' || f.type === 'summary') && (s.name.endsWith('_count') || s.name.endsWith('_bucket')) && !(s.value >= 0)) {
    throw new ParseError(`${describeSeries(s.name, s.labels)} has value ${String(s.value)}; counts are never negative or NaN`);
  }
}

/** Whole-family checks for histograms: +Inf present, buckets cumulative, _count equal to +Inf. */
function checkFamily(f: PushedFamily): string | null {
  if (f.type !== 'histogram') return null;
  const series = new Map<string, { buckets: Array<[number, number]>; count: number | null; labels: Array<[string, string]> }>();
  for (const s of f.samples) {
    const rest = s.labels.filter(([k]) => k !== 'le');
    const key = seriesKey('', rest);
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { buckets: [], count: null, labels: rest }));
    if (s.name.endsWith('_bucket')) entry.buckets.push([parseFloatValue(s.labels.find(([k]) => k === 'le')![1])!, s.value]);
    else if (s.name.endsWith('_count')) entry.count = s.value;
  }
  for (const { buckets, count, labels } of series.values()) {
    const where = `histogram ${describeSeries(f.name, labels)}`;
    if (buckets.length === 0) return `${where} has no buckets`;
    buckets.sort((a, b) => a[0] - b[0]);
    const last = buckets[buckets.length - 1]!;
    if (last[0] !== Infinity) return `${where} has no le="+Inf" bucket`;
    for (let i = 1; i < buckets.length; i++) {
      if (buckets[i]![0] === buckets[i - 1]![0]) return `${where} has two buckets with le=${String(buckets[i]![0])}`;
      if (buckets[i]![1] < buckets[i - 1]![1]) return `${where} buckets are not cumulative at le=${String(buckets[i]![0])}`;
    }
    if (count !== null && count !== last[1]) return `${where} has _count ${String(count)} but its +Inf bucket is ${String(last[1])}`;
  }
  return null;
}

export function seriesKey(name: string, labels: Array<[string, string]>): string {
  return JSON.stringify([name, [...labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))]);
}

export function describeSeries(name: string, labels: Array<[string, string]>): string {
  return labels.length === 0 ? name : `${name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
}

function unescapeHelp(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = s[i + 1];
    if (e === '\\') out += '\\';
    else if (e === 'n') out += '\n';
    else throw new ParseError(`invalid escape sequence '\\${e ?? ''}' in a HELP line`);
    i++;
  }
  return out;
}

function skipBlanks(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t') i++;
  return i;
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
