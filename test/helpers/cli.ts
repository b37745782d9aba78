/**
 * The built `trainwatch` command, as users run it: tests that spawn the CLI spawn this file
 * (dist/cli/trainwatch.js, made by scripts/build.ts; test/globalSetup.ts builds it before any
 * test runs), never the TypeScript sources.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ROOT_DIR = path.resolve(import.meta.dirname, '../..');
export const CLI_BIN = path.join(ROOT_DIR, 'dist', 'cli', 'trainwatch.js');
export const PACKAGE_VERSION = (JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { version: string }).version;
