export * from './events.ts';
export * from './reasons.ts';
export * from './parseLine.ts';
