// The command line as bin/slotbridge.js ran it before the build (bench/startup.ts measures it):
// tsx compiles the TypeScript sources in src/ at every start.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
const code = await main(process.argv.slice(2));
if (code !== 0) process.exitCode = code;
