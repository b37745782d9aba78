/**
 * A TensorBoard run (the event files of one folder, read in file-name order as TensorBoard
 * does) as an imported run: scalars from `simple_value` and from rank-0 tensors of the
 * `scalars` plugin, the HParams plugin's session start as params, text summaries kept as params
 * (`text/<tag>`: `[[step, wall_time, text], ...]`), and everything else that holds data
 * (histograms, images, audio, graphs, other plugins' tensors) counted and named in the report.
 *
 * Damage policy (docs/import.md): a record whose checksum does not match refuses the whole
 * import by file name and byte offset; a file that ends inside a record (a writer stopped
 * mid-write) keeps the records before it and says so in the report.
 */
import { sessionStartHParams } from './hparams.ts';
import type { ImportedRunData, ScalarPoints } from './importedSnapshot.ts';
import { MAX_TAG_LENGTH } from './importedSnapshot.ts';
import { ProtoError } from './protoWire.ts';
import { decodeEvent, tensorScalar, tensorStrings } from './tfEvent.ts';
import type { SummaryValue } from './tfEvent.ts';
import { readTfRecords } from './tfrecord.ts';

// What an import read, kept and left out (printed by the CLI, returned by the API): the wire
// type of shared/api.ts, which the UI and the desktop bridge read too.
export type { ImportReport } from '../../../shared/api.ts';
import type { ImportReport } from '../../../shared/api.ts';

export interface EventsFile {
  /** The file's name as the user gave it (messages name it). */
  name: string;
  bytes: Uint8Array;
}

export type TensorBoardRun = { ok: true; data: ImportedRunData; report: ImportReport } | { ok: false; message: string };

/** SessionLog.Status.START: a writer restarted (from a checkpoint) at this step. */
const SESSION_START = 1;

export function readTensorBoardRun(files: readonly EventsFile[], jobId: string, baseParams: Record<string, unknown> | null = null): TensorBoardRun {
  const scalars = new Map<string, ScalarPoints>();
  const hparams: Record<string, unknown> = {};
  const texts = new Map<string, [number, number, string][]>();
  const notShown = new Map<string, { kind: string; tag: string; records: number }>();
  const notes: string[] = [];
  let records = 0;
  let started = Number.POSITIVE_INFINITY;
  let ended = Number.NEGATIVE_INFINITY;

  const skip = (kind: string, tag: string) => {
    const key = `${kind}\u0000${tag}`;
    const e = notShown.get(key);
    if (e) e.records++;
    else notShown.set(key, { kind, tag, records: 1 });
  };

  for (const file of files) {
    const framed = readTfRecords(file.bytes);
    if (framed.problem?.kind === 'damaged') {
      return { ok: false, message: `${file.name}: ${framed.problem.message}; the file is damaged, so nothing was imported` };
    }
    if (framed.problem?.kind === 'truncated') {
      notes.push(`${file.name}: ${framed.problem.message}; the ${framed.records.length} records before it were imported`);
    }
    for (let i = 0; i < framed.records.length; i++) {
      try {
        const ev = decodeEvent(framed.records[i]!);
        if (!Number.isFinite(ev.wallTime)) throw new ProtoError(`its wall_time is ${ev.wallTime}`);
        records++;
        if (ev.wallTime > 0) {
          started = Math.min(started, ev.wallTime);
          ended = Math.max(ended, ev.wallTime);
        }
        if (ev.sessionLog === SESSION_START) purgeFrom(scalars, ev.step);
        if (ev.other) skip(ev.other === 'run_metadata' ? 'run metadata' : ev.other === 'meta_graph' ? 'graph' : ev.other.replace('_', ' '), '');
        for (const v of ev.values) {
          const kept = keep(v, ev.step, ev.wallTime, { scalars, hparams, texts });
          if (kept !== true) skip(kept, v.tag);
        }
      } catch (err) {
        // Checksummed bytes that do not decode (the hparams inside included): a writer bug or a
        // crafted file. Refused by name like damage; anything else is a bug here and propagates.
        if (!(err instanceof ProtoError)) throw err;
        return { ok: false, message: `${file.name}: record ${i} is not a TensorBoard event (${err.message}); nothing was imported` };
      }
    }
  }

  const params: Record<string, unknown> = { ...baseParams, ...hparams };
  for (const [tag, entries] of texts) params[`text/${tag}`] = entries;
  const data: ImportedRunData = {
    jobId,
    agentId: 'tensorboard',
    name: jobId,
    scalars,
    params: Object.keys(params).length > 0 ? params : null,
    startedAt: Number.isFinite(started) ? started : null,
    endedAt: Number.isFinite(ended) ? ended : null,
    records,
  };
  return {
    ok: true,
    data,
    report: {
      job_id: jobId,
      files: files.map((f) => f.name),
      records,
      scalars: [...scalars].map(([tag, p]) => ({ tag, points: p.t.length })),
      params: Object.keys(params).filter((k) => !k.startsWith('text/')),
      texts: [...texts].map(([tag, e]) => ({ tag, entries: e.length })),
      not_shown: [...notShown.values()],
      notes,
    },
  };
}

interface Sinks {
  scalars: Map<string, ScalarPoints>;
  hparams: Record<string, unknown>;
  texts: Map<string, [number, number, string][]>;
}

/** Files the value where it belongs; returns true, or the kind under which it is reported as not shown. */
function keep(v: SummaryValue, step: number, wallTime: number, s: Sinks): true | string {
  let value: number | null = null;
  if (v.kind === 'simple_value') value = v.simpleValue;
  else if (v.kind === 'tensor' && v.pluginName === 'scalars') {
    value = tensorScalar(v.tensor!);
    if (value === null) return 'scalars (not a rank-0 float or double)';
  } else if (v.pluginName === 'hparams') {
    // The experiment and session end describe what the session start already holds.
    const hp = v.pluginContent ? sessionStartHParams(v.pluginContent) : null;
    if (hp) Object.assign(s.hparams, hp);
    return true;
  } else if (v.kind === 'tensor' && v.pluginName === 'text') {
    const strings = tensorStrings(v.tensor!);
    if (strings === null) return 'text (not strings)';
    let list = s.texts.get(v.tag);
    if (!list) s.texts.set(v.tag, (list = []));
    list.push([step, wallTime, strings.join('\n')]);
    return true;
  } else if (v.kind === 'histo' || v.kind === 'old_histo' || v.pluginName === 'histograms') return 'histograms';
  else if (v.kind === 'image' || v.pluginName === 'images') return 'images';
  else if (v.kind === 'audio' || v.pluginName === 'audio') return 'audio';
  else if (v.kind === 'none') return true; // metadata without data (a plugin's layout declared once)
  else return v.pluginName || 'tensors';
  if (v.tag.length > MAX_TAG_LENGTH) return `scalars (tag longer than ${MAX_TAG_LENGTH} characters)`;
  let p = s.scalars.get(v.tag);
  if (!p) s.scalars.set(v.tag, (p = { t: [], v: [], step: [] }));
  p.t.push(wallTime);
  p.v.push(value);
  p.step.push(step);
  return true;
}

/** TensorBoard's purge on SessionLog.START: a restarted writer's steps replace what was logged from that step on. */
function purgeFrom(scalars: Map<string, ScalarPoints>, step: number): void {
  for (const p of scalars.values()) {
    let w = 0;
    for (let i = 0; i < p.step.length; i++) {
      if (p.step[i]! >= step) continue;
      p.t[w] = p.t[i]!;
      p.v[w] = p.v[i]!;
      p.step[w] = p.step[i]!;
      w++;
    }
    p.t.length = p.v.length = p.step.length = w;
  }
}
