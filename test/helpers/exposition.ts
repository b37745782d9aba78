/**
 * A small parser for the Prometheus text format (and the OpenMetrics subset we emit), for tests
 * that assert the numbers a user sees in /metrics, plus a semantic check of what promtool misses.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
}

export interface Exposition {
  families: Map<string, Family>;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line === '# EOF') continue;
    if (line.startsWith('# HELP ')) {
      const [name, ...help] = line.slice(7).split(' ');
      const f = families.get(name!) ?? { name: name!, type: '', help: '' };
      f.help = unescapeHelp(help.join(' '));
      families.set(name!, f);
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      const f = families.get(name!) ?? { name: name!, type: '', help: '' };
      f.type = type!;
      families.set(name!, f);
      continue;
    }
    if (line.startsWith('#')) continue;
    samples.push(parseSample(line));
  }
  return { families, samples };
}

function parseSample(line: string): Sample {
  const name = NAME.exec(line)?.[0];
  if (!name) throw new Error(`unparseable exposition line: ${line}`);
  let i = name.length;
  let labels: Record<string, string> = {};
  if (line[i] === '{') {
    // Scan to the closing brace outside quotes: label values may hold '}', spaces and escapes.
    let j = i + 1;
    let quoted = false;
    for (; j < line.length; j++) {
      const c = line[j];
      if (quoted && c === '\\') j++;
      else if (c === '"') quoted = !quoted;
      else if (!quoted && c === '}') break;
    }
    labels = parseLabels(line.slice(i + 1, j));
    i = j + 1;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length === 0 || rest[0] === '') throw new Error(`no value in exposition line: ${line}`);
  return { name, labels, value: parseValue(rest[0]!) };
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(n|\\)/g, (_m, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseValue(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  // Both formats spell it case-insensitively (Prometheus reads it with Go's ParseFloat); prom-client writes `Nan`.
  if (/^nan$/i.test(s)) return NaN;
  const n = Number(s);
  if (Number.isNaN(n)) throw new Error(`bad sample value ${s}`);
  return n;
}

function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    const name = s.slice(i, eq).trim();
    if (s[eq + 1] !== '"') throw new Error(`bad label set ${s}`);
    let j = eq + 2;
    let value = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const c = s[++j];
        value += c === 'n' ? '\n' : c;
      } else value += s[j];
    }
    out[name] = value;
    i = j + 1;
    if (s[i] === ',') i++;
  }
  return out;
}

/** The value of the one sample with this name whose labels include `labels`; throws if not exactly one. */
export function valueOf(exp: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = find(exp, name, labels);
  if (found.length !== 1) throw new Error(`expected one sample ${name}${JSON.stringify(labels)}, found ${found.length}`);
  return found[0]!.value;
}

export function find(exp: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return exp.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** Bucket counts by `le` for one histogram series. */
export function buckets(exp: Exposition, name: string, labels: Record<string, string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of find(exp, `${name}_bucket`, labels)) out[s.labels.le!] = s.value;
  return out;
}

/**
 * What promtool 2.42 does not check: buckets sorted and cumulative, +Inf equal to _count, no
 * duplicate series, no NaN or negative counters, no sample timestamps. Returns the problems.
 */
export function semanticProblems(exp: Exposition): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const s of exp.samples) {
    const key = `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    if (seen.has(key)) problems.push(`duplicate series ${key}`);
    seen.add(key);
  }
  for (const f of exp.families.values()) {
    if (f.type === 'counter') {
      for (const s of exp.samples.filter((x) => x.name === f.name || x.name === `${f.name}_total`)) {
        if (!(s.value >= 0)) problems.push(`counter ${s.name} has value ${s.value}`);
      }
    }
    if (f.type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const s of exp.samples.filter((x) => x.name === `${f.name}_bucket`)) {
      const { le: _le, ...rest } = s.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), s]);
    }
    for (const [key, bs] of series) {
      const les = bs.map((b) => parseValue(b.labels.le!));
      for (let i = 1; i < les.length; i++) {
        if (!(les[i]! > les[i - 1]!)) problems.push(`${f.name}${key}: buckets not sorted at le=${les[i]}`);
        if (bs[i]!.value < bs[i - 1]!.value) problems.push(`${f.name}${key}: buckets not cumulative at le=${les[i]}`);
      }
      if (les[les.length - 1] !== Infinity) problems.push(`${f.name}${key}: no +Inf bucket`);
      const labels = Object.fromEntries(JSON.parse(key) as Array<[string, string]>);
      const count = find(exp, `${f.name}_count`, labels);
      if (count.length !== 1 || count[0]!.value !== bs[bs.length - 1]!.value) {
        problems.push(`${f.name}${key}: +Inf bucket differs from _count`);
      }
    }
  }
  return problems;
}
