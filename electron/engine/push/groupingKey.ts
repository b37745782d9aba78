/**
 * The grouping key in a push URL, as Pushgateway reads it
 * (https://github.com/prometheus/pushgateway#url): `/metrics/job/<JOB>{/<LABEL>/<VALUE>}`.
 * A label name ending in `@base64` carries its value in base64url (how clients send values with
 * `/`), and `=` stands for the empty value. Values are percent-decoded; `+` stays a `+`, as in
 * Pushgateway (prometheus_client's quote_plus turns spaces into `+`, and Pushgateway shows them
 * so: we do too, so queries written against a Pushgateway keep matching).
 */
import { isLabelName } from './textFormat.ts';

export type GroupingKey = Array<[string, string]>;

export type GroupingResult = { ok: true; key: GroupingKey } | { ok: false; message: string };

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/** `rest` is the path after `/metrics/`, e.g. `job/train/instance@base64/Zm9v`. */
export function parseGroupingKey(rest: string): GroupingResult {
  let segments = rest.split('/');
  if (segments.length > 2 && segments[segments.length - 1] === '') segments = segments.slice(0, -1);
  if (segments.length % 2 !== 0) return { ok: false, message: `odd number of components in the grouping key path /metrics/${rest}` };
  const key: GroupingKey = [];
  for (let i = 0; i < segments.length; i += 2) {
    const rawName = segments[i]!;
    const base64 = rawName.endsWith('@base64');
    const name = base64 ? rawName.slice(0, -'@base64'.length) : rawName;
    if (i === 0 && name !== 'job') return { ok: false, message: 'the path must start with /metrics/job/<job>' };
    if (!isLabelName(name)) return { ok: false, message: `invalid label name ${JSON.stringify(name)} in the grouping key` };
    if (name.startsWith('__')) return { ok: false, message: `label name ${JSON.stringify(name)} is reserved` };
    if (key.some(([k]) => k === name)) return { ok: false, message: `label ${JSON.stringify(name)} appears twice in the grouping key` };
    const decoded = base64 ? decodeBase64(segments[i + 1]!) : decodePercent(segments[i + 1]!);
    if (decoded === null) {
      return { ok: false, message: `invalid ${base64 ? 'base64url' : 'percent'} encoding in the value of ${JSON.stringify(name)}: ${JSON.stringify(segments[i + 1])}` };
    }
    if (name === 'job' && decoded === '') return { ok: false, message: 'the job name must not be empty' };
    key.push([name, decoded]);
  }
  return { ok: true, key };
}

function decodePercent(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function decodeBase64(s: string): string | null {
  if (s === '=') return '';
  if (!BASE64.test(s)) return null;
  const bytes = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}
