/**
 * The part of the WHATWG URL standard shared/ uses. Both hosts of shared/ code have it as a
 * global (Node and every browser), but TypeScript declares it only in its DOM and Node types,
 * which tsconfig.shared.json leaves out so that nothing else from either slips in. (A .ts file:
 * TypeScript 7's tsc -b did not read a hand-written .d.ts from `include`.)
 */
declare global {
  class URLSearchParams implements Iterable<[string, string]> {
    constructor(init?: string);
    append(name: string, value: string): void;
    get(name: string): string | null;
    getAll(name: string): string[];
    set(name: string, value: string): void;
    toString(): string;
    [Symbol.iterator](): IterableIterator<[string, string]>;
  }
}

export {};
