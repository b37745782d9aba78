/**
 * The HParams plugin's summary content (tensorboard/plugins/hparams/plugin_data.proto): a
 * `HParamsPluginData` whose `session_start_info.hparams` (a map of `google.protobuf.Value`) is
 * what a run was started with. Only the session start is read; the experiment (the list of all
 * hparams and metrics across runs) and session end carry nothing a single run lacks.
 */
import { ProtoError, ProtoReader, WIRE } from './protoWire.ts';

/** Nested structs and lists deeper than this are refused: a crafted file must not exhaust the stack. */
const MAX_DEPTH = 32;

export type HParamValue = null | number | string | boolean | HParamValue[] | { [key: string]: HParamValue };

/** The hparams of a session_start_info, or null where the content is another part of the plugin. */
export function sessionStartHParams(content: Uint8Array): Record<string, HParamValue> | null {
  const r = new ProtoReader(content);
  let out: Record<string, HParamValue> | null = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 3 && wire === WIRE.bytes) {
      out ??= {};
      const s = r.message();
      while (!s.done) {
        const t = s.tag();
        if (t.field === 1 && t.wire === WIRE.bytes) mapEntry(s.message(), out, 0);
        else s.skip(t.wire);
      }
    } else r.skip(wire);
  }
  return out;
}

function mapEntry(r: ProtoReader, into: Record<string, HParamValue>, depth: number): void {
  let key = '';
  let value: HParamValue = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) key = r.string();
    else if (field === 2 && wire === WIRE.bytes) value = protoValue(r.message(), depth + 1);
    else r.skip(wire);
  }
  into[key] = value;
}

/** `google.protobuf.Value` (struct.proto). */
function protoValue(r: ProtoReader, depth: number): HParamValue {
  if (depth > MAX_DEPTH) throw new ProtoError(`hparams nested deeper than ${MAX_DEPTH} levels`);
  let v: HParamValue = null;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.varint) (r.varint(), (v = null));
    else if (field === 2 && wire === WIRE.fixed64) v = r.double();
    else if (field === 3 && wire === WIRE.bytes) v = r.string();
    else if (field === 4 && wire === WIRE.varint) v = r.varint() !== 0;
    else if (field === 5 && wire === WIRE.bytes) {
      const obj: Record<string, HParamValue> = {};
      const s = r.message();
      while (!s.done) {
        const t = s.tag();
        if (t.field === 1 && t.wire === WIRE.bytes) mapEntry(s.message(), obj, depth);
        else s.skip(t.wire);
      }
      v = obj;
    } else if (field === 6 && wire === WIRE.bytes) {
      const list: HParamValue[] = [];
      const l = r.message();
      while (!l.done) {
        const t = l.tag();
        if (t.field === 1 && t.wire === WIRE.bytes) list.push(protoValue(l.message(), depth + 1));
        else l.skip(t.wire);
      }
      v = list;
    } else r.skip(wire);
  }
  return v;
}
