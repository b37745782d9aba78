/**
 * The tray icon, drawn in code as PNG bytes: the brand mark (renderer/index.html's favicon: a
 * rounded square with a rising line), and, when something needs attention, a red dot. Drawn
 * rather than shipped so there is no binary asset to keep in step, and the attention variant
 * costs nothing.
 *
 * No electron import: tested in plain Node (tray.ts hands the bytes to nativeImage).
 */
import { crc32, deflateSync } from 'node:zlib';

/** The mark on a 32-unit grid (renderer/src/components/Header.tsx draws the same). */
const LINE: ReadonlyArray<readonly [number, number]> = [
  [5, 22],
  [11, 15],
  [16, 19],
  [22, 9],
  [27, 12],
];
const BLUE = [0x25, 0x63, 0xeb] as const;
const RED = [0xe5, 0x48, 0x4d] as const;
const WHITE = [0xff, 0xff, 0xff] as const;

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function insideRoundedSquare(x: number, y: number, r: number): boolean {
  const cx = Math.min(Math.max(x, r), 32 - r);
  const cy = Math.min(Math.max(y, r), 32 - r);
  return x >= 0 && x <= 32 && y >= 0 && y <= 32 && Math.hypot(x - cx, y - cy) <= r;
}

/** The colour at a point of the 32-unit grid, or null where the icon is transparent. */
function colourAt(x: number, y: number, attention: boolean): readonly [number, number, number] | null {
  if (attention) {
    const d = Math.hypot(x - 26, y - 6);
    if (d <= 5) return RED;
    if (d <= 7) return null; // a transparent ring sets the dot off the square
  }
  if (!insideRoundedSquare(x, y, 7)) return null;
  for (let i = 1; i < LINE.length; i++) {
    const [ax, ay] = LINE[i - 1]!;
    const [bx, by] = LINE[i]!;
    if (segmentDistance(x, y, ax, ay, bx, by) <= 1.6) return WHITE;
  }
  return BLUE;
}

/** A `size` x `size` RGBA PNG of the icon, 4x4 supersampled. */
export function trayIconPng(size: number, attention: boolean): Buffer {
  if (!Number.isInteger(size) || size < 8 || size > 512) throw new RangeError(`tray icon size must be an integer from 8 to 512, got ${size}`);
  const SS = 4;
  const rows: Buffer[] = [];
  for (let py = 0; py < size; py++) {
    const row = Buffer.alloc(1 + size * 4); // filter byte 0 (none), then RGBA
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let covered = 0;
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const c = colourAt(((px + (sx + 0.5) / SS) * 32) / size, ((py + (sy + 0.5) / SS) * 32) / size, attention);
          if (c === null) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          covered++;
        }
      }
      if (covered > 0) {
        row.writeUInt8(Math.round(r / covered), 1 + px * 4);
        row.writeUInt8(Math.round(g / covered), 2 + px * 4);
        row.writeUInt8(Math.round(b / covered), 3 + px * 4);
        row.writeUInt8(Math.round((255 * covered) / (SS * SS)), 4 + px * 4);
      }
    }
    rows.push(row);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(6, 9); // colour type: RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
