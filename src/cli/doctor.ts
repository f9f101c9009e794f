import { type DoctorFinding, runDoctor } from '../ops/doctor.js';
import { ConfigError } from '../errors.js';
import type { App } from '../app/app.js';
import { type Command, openApp } from './command.js';

/**
 * `toolvault doctor`: startup validation. A configuration or key that does not load is itself the finding;
 * otherwise every provider and connection is checked (auth/doctor.ts). Exits 1 when anything is broken.
 */
async function doctor(o: Record<string, string | boolean | undefined>): Promise<number> {
  const json = o['json'] === true;
  let app: App;
  try {
    app = await openApp(o);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    print([{ status: 'broken', subject: 'config', message: err.message, action: `fix ${err.field}` }], json);
    return 1;
  }
  try {
    const report = await runDoctor({
      vault: app.vault,
      providers: app.providers,
      oauth: app.oauth,
      refresher: app.refresher,
      clock: app.clock,
      log: app.log,
      skewSec: app.config.refreshSkewSec,
      // The built-in demo provider is served by a running toolvault, not by this process.
      unchecked: new Set(app.config.demo && !app.providers.has('demo') ? ['demo'] : []),
    });
    const config: DoctorFinding = {
      status: 'ok',
      subject: 'config',
      message: `home ${app.config.home}; ${app.providers.size} provider(s) configured`,
    };
    print([config, ...report.findings], json);
    return report.ok ? 0 : 1;
  } finally {
    await app.close();
  }
}

function print(findings: DoctorFinding[], json: boolean): void {
  const broken = findings.filter((f) => f.status === 'broken').length;
  const warn = findings.filter((f) => f.status === 'warn').length;
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: broken === 0, findings }, null, 2)}\n`);
    return;
  }
  const width = Math.max(...findings.map((f) => f.subject.length));
  for (const f of findings) {
    const tag = f.status === 'broken' ? 'BROKEN' : f.status;
    process.stdout.write(`${tag.padEnd(7)} ${f.subject.padEnd(width)}  ${f.message}\n`);
    if (f.action) process.stdout.write(`${' '.repeat(8 + width)}  -> ${f.action}\n`);
  }
  const warnings = `${warn} warning${warn === 1 ? '' : 's'}`;
  process.stdout.write(
    broken === 0
      ? `All good${warn ? ` (${warnings})` : ''}.\n`
      : `${broken} broken, ${warnings}: see the -> lines.\n`,
  );
}

export const doctorCommand: Command = {
  name: 'doctor',
  usage: 'toolvault doctor [--json]',
  options: { json: { type: 'boolean' } },
  run: (o) => doctor(o),
};
