/**
 * A minimal protobuf + TFRecord writer for tests: builds event files with the shapes the
 * captured fixtures lack (rank-0 tensors of the scalars plugin, session logs, images, damage).
 * Field numbers as in tensorflow's event.proto / summary.proto / tensor.proto.
 */
import { crc32c, maskCrc } from '../../../electron/engine/importers/crc32c.ts';

type Field = [field: number, wire: 'varint' | 'double' | 'float' | 'bytes', value: number | Uint8Array | string | Field[]];

function varint(n: number | bigint): number[] {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export function message(fields: Field[]): Uint8Array {
  const out: number[] = [];
  for (const [field, wire, value] of fields) {
    if (wire === 'varint') out.push(...varint(field * 8), ...varint(value as number));
    else if (wire === 'double') {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, value as number, true);
      out.push(...varint(field * 8 + 1), ...b);
    } else if (wire === 'float') {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setFloat32(0, value as number, true);
      out.push(...varint(field * 8 + 5), ...b);
    } else {
      const b = typeof value === 'string' ? new TextEncoder().encode(value) : value instanceof Uint8Array ? value : message(value as Field[]);
      out.push(...varint(field * 8 + 2), ...varint(b.length), ...b);
    }
  }
  return Uint8Array.from(out);
}

export function tfrecords(records: Uint8Array[]): Uint8Array {
  const parts: number[] = [];
  for (const data of records) {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(data.length), true);
    const c = (b: Uint8Array) => {
      const x = new Uint8Array(4);
      new DataView(x.buffer).setUint32(0, maskCrc(crc32c(b)), true);
      return x;
    };
    parts.push(...len, ...c(len), ...data, ...c(data));
  }
  return Uint8Array.from(parts);
}

export const event = (wallTime: number, step: number, extra: Field[] = []) => message([[1, 'double', wallTime], [2, 'varint', step], ...extra]);
export const fileVersion = (wallTime: number) => message([[1, 'double', wallTime], [3, 'bytes', 'brain.Event:2']]);
/** Summary { value { tag, metadata { plugin_data { plugin_name } }, <payload> } } */
export const summary = (tag: string, payload: Field, plugin?: string): Field => [
  5,
  'bytes',
  [[1, 'bytes', [[1, 'bytes', tag], ...(plugin ? ([[9, 'bytes', [[1, 'bytes', [[1, 'bytes', plugin]]]]]] as Field[]) : []), payload]]],
];
export const tensor = (fields: Field[]): Field => [8, 'bytes', fields];
export type { Field };
