// harness.mjs: what the browser tests share: the real botd binary in
// -playground mode on a free loopback port, and Debian's chromium driven by
// playwright-core, headless.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

export const STEP = 15_000; // ms to wait for any one thing

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// startPlayground runs `botd -playground` and resolves with
// { base, stop }, base being the URL it prints.
export async function startPlayground(bin) {
  const port = await freePort();
  let log = '';
  const env = { ...process.env, BOTD_ADDR: `127.0.0.1:${port}`, BOTD_LOG_FORMAT: 'json', BOTD_LOG_LEVEL: 'info' };
  const proc = spawn(bin, ['-playground'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`botd -playground printed no URL:\n${log}`)), STEP);
    proc.stdout.on('data', (d) => {
      log += d;
      const m = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.stderr.on('data', (d) => { log += d; });
    proc.on('exit', (code) => reject(new Error(`botd exited (${code}):\n${log}`)));
  });
  const stop = async () => {
    if (proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGINT'); // Ctrl-C: the playground stops cleanly
    await exited;
  };
  return { base, stop, log: () => log };
}

// launch starts chromium with a fresh profile; close() removes it.
// options: { viewport, timezoneId } as playwright takes them.
export async function launch(executablePath, options = {}) {
  const profile = mkdtempSync(join(tmpdir(), 'botd-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    viewport: { width: 1680, height: 1000 },
    ...options,
    executablePath,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const close = async () => {
    await browser.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { browser, close };
}
