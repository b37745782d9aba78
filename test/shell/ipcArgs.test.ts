import { describe, expect, it } from 'vitest';
import { INVOKE, INVOKE_CHANNELS } from '../../shared/ipc.ts';
import type { InvokeChannel } from '../../shared/ipc.ts';
import { IPC_ARGS, validateArgs } from '../../electron/shell/ipcArgs.ts';

describe('validateArgs: what each IPC call may carry', () => {
  it('has a schema for every declared channel and no other', () => {
    expect(Object.keys(IPC_ARGS).sort()).toEqual([...INVOKE_CHANNELS].sort());
  });

  it.each([
    [INVOKE.info, []],
    [INVOKE.listRuns, []],
    [INVOKE.getRun, ['run-1']],
    [INVOKE.getRun, ['run-1', undefined]],
    [INVOKE.getRun, ['run-1', {}]],
    [INVOKE.getRun, ['run-1', { points: 3 }]],
    [INVOKE.getRun, ['run-1', { points: 10_000 }]],
    [INVOKE.getRun, ['x'.repeat(256)]],
    [INVOKE.subscribe, [{ id: 1 }]],
    [INVOKE.unsubscribe, [{ id: 7 }]],
    [INVOKE.cancelRun, ['run-1']],
    [INVOKE.cancelRun, ['run-1', 'budget exhausted']],
    [INVOKE.deleteRun, ['run-1']],
    [INVOKE.exportRun, ['run-1', 'json']],
    [INVOKE.exportRun, ['run-1', 'csv']],
    [INVOKE.exportRun, ['run-1', 'prom']],
    [INVOKE.importFile, ['metrics.csv', new Uint8Array([115, 116, 101, 112])]],
    [INVOKE.importFile, ['a.snapshot.json', new Uint8Array(0), { as: 'b' }]],
    [INVOKE.importFile, ['events.out.tfevents.1.h.2.0', new Uint8Array(3), { rename: true }]],
  ] as Array<[InvokeChannel, unknown[]]>)('accepts %s %j', (channel, args) => {
    expect(validateArgs(channel, args)).toEqual({ ok: true, args });
  });

  it.each([
    ['info with an argument', INVOKE.info, [1], 'trainwatch:info: Too big: expected array to have <=0 items'],
    ['listRuns with an argument', INVOKE.listRuns, ['x'], 'trainwatch:listRuns: Too big: expected array to have <=0 items'],
    ['getRun without a job id', INVOKE.getRun, [], 'trainwatch:getRun: Too small: expected array to have >=1 items'],
    ['getRun with a number for an id', INVOKE.getRun, [42], 'trainwatch:getRun: Invalid input: expected string, received number at argument 0'],
    ['getRun with an empty id', INVOKE.getRun, [''], 'trainwatch:getRun: Too small: expected string to have >=1 characters at argument 0'],
    ['getRun with a 257-character id', INVOKE.getRun, ['x'.repeat(257)], 'trainwatch:getRun: Too big: expected string to have <=256 characters at argument 0'],
    ['getRun with 2 points', INVOKE.getRun, ['a', { points: 2 }], 'trainwatch:getRun: Too small: expected number to be >=3 at argument 1.points'],
    ['getRun with too many points', INVOKE.getRun, ['a', { points: 10_001 }], 'trainwatch:getRun: Too big: expected number to be <=10000 at argument 1.points'],
    ['getRun with fractional points', INVOKE.getRun, ['a', { points: 3.5 }], 'trainwatch:getRun: Invalid input: expected int, received number at argument 1.points'],
    ['getRun with NaN points', INVOKE.getRun, ['a', { points: Number.NaN }], 'trainwatch:getRun: Invalid input: expected number, received NaN at argument 1.points'],
    ['getRun with an unknown option', INVOKE.getRun, ['a', { points: 5, evil: true }], 'trainwatch:getRun: Unrecognized key: "evil" at argument 1'],
    ['getRun with a third argument', INVOKE.getRun, ['a', {}, 'extra'], 'trainwatch:getRun: Too big: expected array to have <=2 items'],
    ['subscribe without a ref', INVOKE.subscribe, [], 'trainwatch:subscribe: Too small: expected array to have >=1 items'],
    ['subscribe with id 0', INVOKE.subscribe, [{ id: 0 }], 'trainwatch:subscribe: Too small: expected number to be >=1 at argument 0.id'],
    ['subscribe with a string id', INVOKE.subscribe, [{ id: '1' }], 'trainwatch:subscribe: Invalid input: expected number, received string at argument 0.id'],
    ['subscribe with a prototype-polluting key', INVOKE.subscribe, [JSON.parse('{"id":1,"__proto__":{"x":1}}')], 'trainwatch:subscribe: Unrecognized key: "__proto__" at argument 0'],
    ['cancelRun without a job id', INVOKE.cancelRun, [], 'trainwatch:cancelRun: Too small: expected array to have >=1 items'],
    ['cancelRun with a number for a reason', INVOKE.cancelRun, ['a', 7], 'trainwatch:cancelRun: Invalid input: expected string, received number at argument 1'],
    ['cancelRun with a reason over 8192 characters', INVOKE.cancelRun, ['a', 'x'.repeat(8193)], 'trainwatch:cancelRun: Too big: expected string to have <=8192 characters at argument 1'],
    ['deleteRun with an empty id', INVOKE.deleteRun, [''], 'trainwatch:deleteRun: Too small: expected string to have >=1 characters at argument 0'],
    ['deleteRun with a second argument', INVOKE.deleteRun, ['a', true], 'trainwatch:deleteRun: Too big: expected array to have <=1 items'],
    ['exportRun without a format', INVOKE.exportRun, ['a'], 'trainwatch:exportRun: Too small: expected array to have >=2 items'],
    ['exportRun as a path', INVOKE.exportRun, ['a', '../../etc/passwd'], 'trainwatch:exportRun: Invalid option: expected one of "json"|"csv"|"prom" at argument 1'],
    ['importFile without bytes', INVOKE.importFile, ['metrics.csv'], 'trainwatch:importFile: Too small: expected array to have >=2 items'],
    ['importFile with a string for bytes', INVOKE.importFile, ['metrics.csv', 'step,loss'], 'trainwatch:importFile: the file must be bytes (a Uint8Array) of at most 134217728 bytes at argument 1'],
    ['importFile with an empty name', INVOKE.importFile, ['', new Uint8Array(1)], 'trainwatch:importFile: file name must be a string of 1 to 1024 characters at argument 0'],
    ['importFile with an unknown option', INVOKE.importFile, ['a.json', new Uint8Array(1), { path: '/etc/passwd' }], 'trainwatch:importFile: Unrecognized key: "path" at argument 2'],
    ['importFile as a 257-character id', INVOKE.importFile, ['a.json', new Uint8Array(1), { as: 'x'.repeat(257) }], 'trainwatch:importFile: as must be a string of 1 to 256 characters at argument 2.as'],
    ['unsubscribe with a huge id', INVOKE.unsubscribe, [{ id: 2 ** 60 }], 'trainwatch:unsubscribe: Too big: expected int to be <=9007199254740991 at argument 0.id'],
  ] as Array<[string, InvokeChannel, unknown[], string]>)('refuses %s, as a value', (_name, channel, args, message) => {
    expect(validateArgs(channel, args)).toEqual({ ok: false, code: 'bad_arguments', message });
  });

  it('refuses arguments that are not an array at all', () => {
    expect(validateArgs(INVOKE.info, 'x' as unknown as unknown[])).toMatchObject({ ok: false, code: 'bad_arguments' });
  });
});
