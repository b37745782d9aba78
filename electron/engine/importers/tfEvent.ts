/**
 * The parts of `tensorflow.Event` (tensorflow/core/util/event.proto) and `tensorflow.Summary`
 * (tensorflow/core/framework/summary.proto) a run needs, decoded from one TFRecord's data.
 * Field numbers are from those files; everything else is skipped, and what is skipped but
 * meaningful (histograms, images, graphs...) is named so the import can report it.
 */
import { ProtoReader, WIRE } from './protoWire.ts';

/** `tensorflow.DataType` values this importer reads. */
export const DT = { float: 1, double: 2, int32: 3, string: 7, int64: 9, bool: 10, half: 19 } as const;

export interface TensorProto {
  dtype: number;
  /** Dimension sizes; [] is a scalar (rank 0). */
  shape: number[];
  content: Uint8Array | null;
  floatVal: number[];
  doubleVal: number[];
  intVal: number[];
  int64Val: number[];
  halfVal: number[];
  stringVal: Uint8Array[];
}

export interface SummaryValue {
  tag: string;
  pluginName: string;
  pluginContent: Uint8Array | null;
  /** Which member of the `value` oneof was set. */
  kind: 'simple_value' | 'image' | 'audio' | 'histo' | 'tensor' | 'old_histo' | 'none';
  simpleValue: number;
  tensor: TensorProto | null;
}

export interface TfEvent {
  wallTime: number;
  step: number;
  fileVersion: string | null;
  values: SummaryValue[];
  /** `SessionLog.status` (1 START, 2 STOP, 3 CHECKPOINT) where the event is a session log. */
  sessionLog: number | null;
  /** Event payloads that are not summaries: graph_def, meta_graph_def, tagged_run_metadata. */
  other: 'graph' | 'meta_graph' | 'run_metadata' | 'log_message' | null;
}

export function decodeEvent(buf: Uint8Array): TfEvent {
  const r = new ProtoReader(buf);
  const ev: TfEvent = { wallTime: 0, step: 0, fileVersion: null, values: [], sessionLog: null, other: null };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.fixed64) ev.wallTime = r.double();
    else if (field === 2 && wire === WIRE.varint) ev.step = r.int64();
    else if (field === 3 && wire === WIRE.bytes) ev.fileVersion = r.string();
    else if (field === 4 && wire === WIRE.bytes) (r.skip(wire), (ev.other = 'graph'));
    else if (field === 5 && wire === WIRE.bytes) decodeSummary(r.message(), ev.values);
    else if (field === 6 && wire === WIRE.bytes) (r.skip(wire), (ev.other = 'log_message'));
    else if (field === 7 && wire === WIRE.bytes) ev.sessionLog = decodeSessionLog(r.message());
    else if (field === 8 && wire === WIRE.bytes) (r.skip(wire), (ev.other = 'run_metadata'));
    else if (field === 9 && wire === WIRE.bytes) (r.skip(wire), (ev.other = 'meta_graph'));
    else r.skip(wire);
  }
  return ev;
}

function decodeSessionLog(r: ProtoReader): number {
  let status = 0;
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.varint) status = r.varint();
    else r.skip(wire);
  }
  return status;
}

function decodeSummary(r: ProtoReader, out: SummaryValue[]): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) out.push(decodeValue(r.message()));
    else r.skip(wire);
  }
}

const ONEOF: Record<number, SummaryValue['kind']> = { 3: 'old_histo', 4: 'image', 5: 'histo', 6: 'audio' };

function decodeValue(r: ProtoReader): SummaryValue {
  const v: SummaryValue = { tag: '', pluginName: '', pluginContent: null, kind: 'none', simpleValue: Number.NaN, tensor: null };
  let nodeName = '';
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) v.tag = r.string();
    else if (field === 7 && wire === WIRE.bytes) nodeName = r.string();
    else if (field === 9 && wire === WIRE.bytes) decodeMetadata(r.message(), v);
    else if (field === 2 && wire === WIRE.fixed32) {
      v.kind = 'simple_value';
      v.simpleValue = r.float();
    } else if (field === 8 && wire === WIRE.bytes) {
      v.kind = 'tensor';
      v.tensor = decodeTensor(r.message());
    } else if (ONEOF[field] && wire === WIRE.bytes) {
      v.kind = ONEOF[field]!;
      r.skip(wire);
    } else r.skip(wire);
  }
  // Old writers named the value by its graph node only (TensorBoard does the same fallback).
  if (v.tag === '') v.tag = nodeName;
  return v;
}

function decodeMetadata(r: ProtoReader, v: SummaryValue): void {
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.bytes) {
      const p = r.message();
      while (!p.done) {
        const t = p.tag();
        if (t.field === 1 && t.wire === WIRE.bytes) v.pluginName = p.string();
        else if (t.field === 2 && t.wire === WIRE.bytes) v.pluginContent = p.bytes();
        else p.skip(t.wire);
      }
    } else r.skip(wire);
  }
}

function decodeTensor(r: ProtoReader): TensorProto {
  const t: TensorProto = { dtype: 0, shape: [], content: null, floatVal: [], doubleVal: [], intVal: [], int64Val: [], halfVal: [], stringVal: [] };
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 1 && wire === WIRE.varint) t.dtype = r.varint();
    else if (field === 2 && wire === WIRE.bytes) t.shape = decodeShape(r.message());
    else if (field === 4 && wire === WIRE.bytes) t.content = r.bytes();
    else if (field === 5) r.repeated(wire, 'float', t.floatVal);
    else if (field === 6) r.repeated(wire, 'double', t.doubleVal);
    else if (field === 7) r.repeated(wire, 'varint', t.intVal);
    else if (field === 8 && wire === WIRE.bytes) t.stringVal.push(r.bytes());
    else if (field === 10) r.repeated(wire, 'int64', t.int64Val);
    else if (field === 13) r.repeated(wire, 'varint', t.halfVal);
    else r.skip(wire);
  }
  return t;
}

function decodeShape(r: ProtoReader): number[] {
  const dims: number[] = [];
  while (!r.done) {
    const { field, wire } = r.tag();
    if (field === 2 && wire === WIRE.bytes) {
      const d = r.message();
      let size = 0;
      while (!d.done) {
        const t = d.tag();
        if (t.field === 1 && t.wire === WIRE.varint) size = d.int64();
        else d.skip(t.wire);
      }
      dims.push(size);
    } else r.skip(wire);
  }
  return dims;
}

/**
 * The number a rank-0 numeric tensor holds (the `scalars` plugin's form), widened to a double:
 * float32 values are exact in a double, so nothing is rounded. null for anything else.
 */
export function tensorScalar(t: TensorProto): number | null {
  if (t.shape.length !== 0) return null;
  const c = t.content;
  const view = c ? new DataView(c.buffer, c.byteOffset, c.byteLength) : null;
  switch (t.dtype) {
    case DT.float:
      if (view && c!.length === 4) return view.getFloat32(0, true);
      return t.floatVal.length === 1 ? t.floatVal[0]! : null;
    case DT.double:
      if (view && c!.length === 8) return view.getFloat64(0, true);
      return t.doubleVal.length === 1 ? t.doubleVal[0]! : null;
    case DT.half: {
      if (view && c!.length === 2) return halfToNumber(view.getUint16(0, true));
      return t.halfVal.length === 1 ? halfToNumber(t.halfVal[0]!) : null;
    }
    default:
      return null;
  }
}

/** IEEE 754 binary16 bits to a number. */
function halfToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >> 10) & 0x1f;
  const frac = bits & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** The strings of a DT_STRING tensor, as UTF-8 text. */
export function tensorStrings(t: TensorProto): string[] | null {
  if (t.dtype !== DT.string) return null;
  const dec = new TextDecoder();
  return t.stringVal.map((s) => dec.decode(s));
}

