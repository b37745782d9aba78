/**
 * TFRecord framing, the container of tfevents files (tensorflow/core/lib/io/record_writer.h):
 *
 *     uint64 length (little-endian) | uint32 masked_crc32c(length) | data[length] | uint32 masked_crc32c(data)
 *
 * Both checksums are verified. What happens to a record that fails is the caller's policy; this
 * reader only says precisely what it found, and where (docs/import.md argues the policy).
 */
import { crc32c, maskCrc } from './crc32c.ts';

const HEADER = 12;
const FOOTER = 4;

/** Why reading stopped before the end of the bytes. */
export type FramingProblem =
  /** The file ends inside a record: a writer that was stopped mid-write (or is still writing). */
  | { kind: 'truncated'; offset: number; record: number; message: string }
  /** A checksum does not match: the bytes were changed after they were written, or this is not a TFRecord file. */
  | { kind: 'damaged'; offset: number; record: number; message: string };

export interface Framed {
  /** Each record's data, as views into the input (no copies). */
  records: Uint8Array[];
  problem: FramingProblem | null;
}

export function readTfRecords(buf: Uint8Array): Framed {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const records: Uint8Array[] = [];
  let at = 0;
  while (at < buf.length) {
    const record = records.length;
    if (buf.length - at < HEADER) {
      return { records, problem: { kind: 'truncated', offset: at, record, message: `the file ends inside record ${record}'s header (${buf.length - at} of ${HEADER} bytes at byte ${at})` } };
    }
    if (view.getUint32(at + 8, true) !== maskCrc(crc32c(buf, at, at + 8))) {
      return { records, problem: { kind: 'damaged', offset: at, record, message: `record ${record} at byte ${at}: the length's CRC-32C does not match` } };
    }
    const length = view.getBigUint64(at, true);
    const left = BigInt(buf.length - at - HEADER - FOOTER);
    if (length > left) {
      return {
        records,
        problem: { kind: 'truncated', offset: at, record, message: `the file ends inside record ${record} at byte ${at} (${length} bytes announced, ${left < 0n ? 0n : left} present)` },
      };
    }
    const start = at + HEADER;
    const end = start + Number(length);
    if (view.getUint32(end, true) !== maskCrc(crc32c(buf, start, end))) {
      return { records, problem: { kind: 'damaged', offset: at, record, message: `record ${record} at byte ${at}: the data's CRC-32C does not match` } };
    }
    records.push(buf.subarray(start, end));
    at = end + FOOTER;
  }
  return { records, problem: null };
}
