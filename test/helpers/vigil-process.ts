// Starts the real `vigil` CLI as a child process (through tsx, so no build is needed)
// and waits for its "listening" log line to learn the bound address.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export interface VigilProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
  stop(): Promise<void>;
}

export function vigilArgs(args: readonly string[]): string[] {
  return ['--import', 'tsx', MAIN, ...args];
}

export async function startVigil(args: readonly string[], timeoutMs = 20_000): Promise<VigilProcess> {
  const child = spawn(process.execPath, vigilArgs(args), { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vigil did not start within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      for (const line of stderr.split('\n')) {
        if (!line.includes('listening')) continue;
        try {
          const address = (JSON.parse(line) as { address?: string }).address;
          if (address) {
            clearTimeout(timer);
            resolve(address.replace('[::]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1'));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`vigil exited with ${code} before listening:\n${stderr}`));
    });
  });
  return {
    child,
    url,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
