/**
 * The YAML Lightning writes as `hparams.yaml` for plain hyperparameters: one `key: value` line
 * each (PyYAML's `yaml.dump` of a flat dict). Only that subset is read: a line that is nested,
 * a list item, a block scalar or a Python-tagged object is left out and named in the notes, never
 * guessed at. Values: integers and floats (also `.nan`, `.inf`, `-.inf`), `true`/`false`,
 * `null`/`~`/empty, quoted or plain strings.
 */

export interface YamlParams {
  params: Record<string, unknown>;
  /** One line per line not read. */
  notes: string[];
}

export function readFlatYaml(name: string, text: string): YamlParams {
  const params: Record<string, unknown> = {};
  const notes: string[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#') || line === '---' || line === '...') return;
    const m = /^([^\s:#'"-][^:]*?|'[^']*'|"[^"]*"):(?:\s+(.*))?$/.exec(line);
    if (!m || /^[\s-]/.test(line)) {
      notes.push(`${name}: line ${i + 1} is not a flat "key: value" line; left out`);
      return;
    }
    const key = unquote(m[1]!);
    const value = (m[2] ?? '').trim();
    if (value === '' && i + 1 < lines.length && /^\s+\S|^-\s/.test(lines[i + 1]!)) {
      notes.push(`${name}: line ${i + 1} (${key}) holds a nested value; left out`);
      return;
    }
    if (/^[!&*|>[{]/.test(value)) {
      notes.push(`${name}: line ${i + 1} (${key}) holds a value this reader does not take (${value.slice(0, 20)}); left out`);
      return;
    }
    params[key] = scalar(value);
  });
  return { params, notes };
}

function unquote(s: string): string {
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1).replace(/''/g, "'");
  if (s.length >= 2 && s.startsWith('"') && s.endsWith('"')) {
    // YAML's double-quoted escapes are JSON's plus a few (\x41, \e); those few stay as written.
    try {
      return JSON.parse(s) as string;
    } catch {
      return s.slice(1, -1);
    }
  }
  return s;
}

function scalar(v: string): unknown {
  if (v === '' || v === '~' || v === 'null' || v === 'Null' || v === 'NULL') return null;
  if (/^(true|True|TRUE)$/.test(v)) return true;
  if (/^(false|False|FALSE)$/.test(v)) return false;
  if (/^[-+]?\.(nan|NaN|NAN)$/.test(v)) return Number.NaN;
  if (/^\+?\.(inf|Inf|INF)$/.test(v)) return Number.POSITIVE_INFINITY;
  if (/^-\.(inf|Inf|INF)$/.test(v)) return Number.NEGATIVE_INFINITY;
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(v)) return Number(v);
  if (v.startsWith("'") || v.startsWith('"')) return unquote(v);
  return v;
}
