/**
 * The push parser: the Prometheus text format 0.0.4 as the Go reference parser reads it, plus
 * the refusals that keep /metrics valid. Every refusal names its line and the problem.
 */
import { describe, expect, it } from 'vitest';
import { parseFloatValue, parseTextFormat } from '../../../electron/engine/push/textFormat.ts';

describe('accepts', () => {
  it('families with HELP, TYPE, labels, escapes, special values and blanks', () => {
    const r = parseTextFormat(
      [
        '# A comment that is not HELP or TYPE',
        '# HELP http_requests_total The total number of requests.\\nSecond line, a \\\\ backslash',
        '# TYPE http_requests_total counter',
        'http_requests_total{method="post",code="200"} 1027',
        'http_requests_total { method = "get" , code="400", } 3',
        '',
        'untyped_thing{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb"} -Inf',
        '  gauge_nan NaN',
        'gauge_inf +Inf',
        'sci 1.5e-3\r',
      ].join('\n'),
    );
    expect(r).toEqual({
      ok: true,
      families: [
        {
          name: 'http_requests_total',
          type: 'counter',
          help: 'The total number of requests.\nSecond line, a \\ backslash',
          samples: [
            { name: 'http_requests_total', labels: [['method', 'post'], ['code', '200']], value: 1027 },
            { name: 'http_requests_total', labels: [['method', 'get'], ['code', '400']], value: 3 },
          ],
        },
        { name: 'untyped_thing', type: 'untyped', help: null, samples: [{ name: 'untyped_thing', labels: [['path', 'C:\\dir'], ['quote', 'say "hi"'], ['nl', 'a\nb']], value: -Infinity }] },
        { name: 'gauge_nan', type: 'untyped', help: null, samples: [{ name: 'gauge_nan', labels: [], value: NaN }] },
        { name: 'gauge_inf', type: 'untyped', help: null, samples: [{ name: 'gauge_inf', labels: [], value: Infinity }] },
        { name: 'sci', type: 'untyped', help: null, samples: [{ name: 'sci', labels: [], value: 0.0015 }] },
      ],
    });
  });

  it('histogram and summary samples under their family, by suffix', () => {
    const r = parseTextFormat(
      [
        '# TYPE rpc_duration_seconds summary',
        'rpc_duration_seconds{quantile="0.5"} 0.2',
        'rpc_duration_seconds_sum 17',
        'rpc_duration_seconds_count 40',
        '# TYPE latency histogram',
        'latency_bucket{le="0.1"} 1',
        'latency_bucket{le="+Inf"} 2',
        'latency_sum 0.35',
        'latency_count 2',
      ].join('\n'),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.families.map((f) => [f.name, f.type, f.samples.map((s) => s.name)])).toEqual([
      ['rpc_duration_seconds', 'summary', ['rpc_duration_seconds', 'rpc_duration_seconds_sum', 'rpc_duration_seconds_count']],
      ['latency', 'histogram', ['latency_bucket', 'latency_bucket', 'latency_sum', 'latency_count']],
    ]);
  });

  it('an empty body (a PUT that empties a group)', () => {
    expect(parseTextFormat('')).toEqual({ ok: true, families: [] });
  });

  it.each([
    ['1', 1],
    ['-0.5', -0.5],
    ['.5', 0.5],
    ['1e3', 1000],
    ['+Inf', Infinity],
    ['inf', Infinity],
    ['-Inf', -Infinity],
    ['NaN', NaN],
    ['nan', NaN],
    ['0x1p3', null],
    ['1_000', null],
    ['', null],
  ])('reads the value %j as %s', (text, value) => {
    expect(parseFloatValue(text)).toEqual(value);
  });
});

describe('refuses', () => {
  it.each([
    ['a value that is not a number', 'a 1\nb{x="1"} oops\n', 2, 'invalid value "oops" for "b"'],
    ['a sample timestamp', 'a 1 1700000000000\n', 1, 'sample "a" carries a timestamp; pushed metrics must not have timestamps'],
    ['a missing value', 'a{x="1"}\n', 1, 'no value for "a"'],
    ['an unterminated label value', 'a{x="1} 2\n', 1, 'unterminated value of label "x"'],
    ['an unknown escape', 'a{x="\\t"} 2\n', 1, `invalid escape sequence '\\t' in the value of label "x"`],
    ['a label without quotes', 'a{x=1} 2\n', 1, `expected '"' to start the value of label "x" in "a{x=1} 2"`],
    ['a duplicate label', 'a{x="1",x="2"} 2\n', 1, 'label "x" appears twice in "a{x=\\"1\\",x=\\"2\\"} 2"'],
    ['a reserved label name', 'a{__name__="b"} 2\n', 1, 'label name "__name__" is reserved (names starting with __ are Prometheus\' own)'],
    ['a bad metric name', '0abc 1\n', 1, 'invalid metric name at the start of "0abc 1"'],
    ['an unknown type', '# TYPE a gauges\na 1\n', 1, 'unknown metric type "gauges" for "a"; expected one of counter, gauge, histogram, summary, untyped'],
    ['a second TYPE', '# TYPE a gauge\n# TYPE a gauge\n', 2, 'second TYPE line for metric name "a"'],
    ['a second HELP', '# HELP a x\n# HELP a y\n', 2, 'second HELP line for metric name "a"'],
    ['a TYPE after the samples', 'a 1\n# TYPE a gauge\n', 2, 'TYPE line for "a" after its samples; it must come first'],
    ['a duplicate series', 'a{x="1",y="2"} 1\na{y="2",x="1"} 2\n', 2, 'duplicate sample a{y="2",x="1"}'],
    ['a negative counter', '# TYPE c_total counter\nc_total -1\n', 2, 'counter c_total has value -1; counters are never negative or NaN'],
    ['a NaN counter', '# TYPE c_total counter\nc_total NaN\n', 2, 'counter c_total has value NaN; counters are never negative or NaN'],
    ['a bucket without le', '# TYPE h histogram\nh_bucket 1\n', 2, 'bucket h_bucket has no le label'],
    ['a bare histogram sample', '# TYPE h histogram\nh 1\n', 2, 'sample "h" of histogram "h" needs a _bucket, _sum or _count suffix'],
    ['a summary quantile out of range', '# TYPE s summary\ns{quantile="2"} 1\n', 2, 'summary quantile s{quantile="2"} needs a quantile label from 0 to 1'],
    ['a histogram without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\n', 0, 'histogram h has no le="+Inf" bucket'],
    ['buckets that are not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="2"} 2\nh_bucket{le="+Inf"} 3\n', 0, 'histogram h buckets are not cumulative at le=2'],
    ['a _count that differs from +Inf', '# TYPE h histogram\nh_bucket{le="+Inf"} 3\nh_count 4\n', 0, 'histogram h has _count 4 but its +Inf bucket is 3'],
  ])('%s', (_name, body, line, message) => {
    expect(parseTextFormat(body)).toEqual({ ok: false, line, message });
  });

  it('more samples than allowed, without reading the rest', () => {
    const body = Array.from({ length: 100 }, (_, i) => `m{i="${i}"} 1`).join('\n');
    expect(parseTextFormat(body, 10)).toEqual({ ok: false, line: 11, message: 'more than 10 samples in one push' });
  });
});
