/** Runs the real `slotbridge` command as a child process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/slotbridge.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts a long-running command and resolves once its stdout holds a complete JSON document. */
export function startCliServer(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; json: any; stderr: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args, '--json'], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`no JSON from slotbridge ${args.join(' ')}: ${stderr}`)), 60_000);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      try {
        const json = JSON.parse(stdout);
        clearTimeout(timer);
        resolve({ child, json, stderr: () => stderr });
      } catch {
        /* not complete yet */
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`slotbridge ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}
