// Runs the `parley` command in a child process, as an operator would, with only the given environment
// (and PATH and HOME: a developer's PARLEY_* variables must not leak in).
import { spawn } from 'node:child_process';
import { parleyArgs } from './parley-bin.ts';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function parleyCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const parley = await parleyArgs();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...parley, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
