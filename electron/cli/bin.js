#!/usr/bin/env node
// The `trainwatch` command. Registers tsx so the TypeScript sources run as they are in Node,
// then hands over to the CLI proper.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
