import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../../electron/engine/ingest/lineSplitter.ts';

function run(chunks: Array<string | Buffer>, maxLine = 16, hard = 64) {
  const s = new LineSplitter(maxLine, hard);
  const out: string[] = [];
  const sink = {
    // The text the splitter decoded must be the line's bytes, decoded; null exactly when they are not UTF-8.
    line: (b: Buffer, text: string | null) => {
      expect(text).toBe(isUtf8(b) ? b.toString('utf8') : null);
      out.push(text ?? `<invalid ${b.toString('hex')}>`);
    },
    oversize: (n: number) => out.push(`<oversize ${n}>`),
  };
  let alive = true;
  for (const c of chunks) alive = s.push(Buffer.isBuffer(c) ? c : Buffer.from(c), sink) && alive;
  if (alive) s.end(sink);
  return { out, alive };
}

describe('LineSplitter', () => {
  it.each([
    ['lines in one chunk', ['a\nb\n'], ['a', 'b']],
    ['a line split over chunks', ['ab', 'c\nd', 'e\n'], ['abc', 'de']],
    ['CRLF endings', ['a\r\nb\r\n'], ['a', 'b']],
    ['a last line without newline', ['a\nb'], ['a', 'b']],
    ['blank lines are passed on (the session skips them)', ['\n\na\n'], ['', '', 'a']],
    ['an oversize line is skipped to its newline and reported with its length', ['0123456789abcdefXYZ\nok\n'], ['<oversize 19>', 'ok']],
    ['an oversize line across chunks', ['0123456789', 'abcdefghij', 'kl\nok\n'], ['<oversize 22>', 'ok']],
    ['a multi-byte character split across chunks', [Buffer.from([0xc3]), Buffer.from([0xa9, 0x0a])], ['é']],
    ['multi-byte text in a block of lines', ['é\nü€\r\n😀x\n'], ['é', 'ü€', '😀x']],
    ['one bad line in a block: only that line is undecodable', [Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff, 0x0a]), Buffer.from('é\r\n')])], ['ok', '<invalid ff>', 'é']],
    ['a held line, then a block, then a held rest', ['ab', 'c\nd\ne\nf', 'g\n'], ['abc', 'd', 'e', 'fg']],
    ['an oversize line inside a block', ['ok\n0123456789abcdefXYZ\r\nok2\n'], ['ok', '<oversize 20>', 'ok2']],
  ])('%s', (_name, chunks, expected) => {
    expect(run(chunks).out).toEqual(expected);
  });

  it('gives up on a stream once a line passes the hard limit', () => {
    const r = run(['ok\n', 'x'.repeat(40), 'x'.repeat(40), 'never\n']);
    expect(r).toEqual({ out: ['ok'], alive: false });
  });

  it('refuses limits that make no sense', () => {
    expect(() => new LineSplitter(100, 10)).toThrow('line limits must satisfy 0 < maxLine <= hardLimit, got 100 and 10');
  });
});
