/**
 * The collector's command line:
 *   collector register --url https://… --key obs_ingest_… [--state-dir DIR]
 *   collector run [--state-dir DIR] [--host-interval S] [--config-interval S] [--queue-max-mb N]
 * The key may be given as `--key -` to read it from stdin (kept out of shell history).
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readIdentity, writeIdentity } from './identity';
import { jsonLogger, type LogLevel } from './log';
import { PlatformClient } from './platform-client';
import { CollectorRuntime, VERSION } from './run';

const USAGE = `collector ${VERSION}
usage:
  collector register --url <platform URL> --key <ingest key | -> [--state-dir DIR]
  collector run [--state-dir DIR] [--host-interval SECONDS] [--config-interval SECONDS] [--queue-max-mb N]
                [--log-level debug|info|warn|error] [--no-host] [--syslog-port N [--syslog-host ADDR]]
                [--trap-port N [--trap-host ADDR] --trap-community NAME ...]
state dir: --state-dir, else $COLLECTOR_STATE_DIR, else /var/lib/obs-collector as root, else ~/.local/state/obs-collector`;

function defaultStateDir(): string {
  if (process.env.COLLECTOR_STATE_DIR) return process.env.COLLECTOR_STATE_DIR;
  if (process.getuid?.() === 0) return '/var/lib/obs-collector';
  return join(homedir(), '.local', 'state', 'obs-collector');
}

const seconds = (raw: string | undefined, flag: string): number | undefined => {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number of seconds`);
  return Math.round(n * 1000);
};

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      'state-dir': { type: 'string' },
      'host-interval': { type: 'string' },
      'config-interval': { type: 'string' },
      'queue-max-mb': { type: 'string' },
      'log-level': { type: 'string' },
      'no-host': { type: 'boolean' },
      'syslog-port': { type: 'string' },
      'syslog-host': { type: 'string' },
      'trap-port': { type: 'string' },
      'trap-host': { type: 'string' },
      'trap-community': { type: 'string', multiple: true },
    },
    strict: true,
  });
  const stateDir = values['state-dir'] ?? defaultStateDir();

  if (command === 'register') {
    if (!values.url || !values.key) throw new Error('register needs --url and --key');
    const key = values.key === '-' ? readFileSync(0, 'utf8').trim() : values.key;
    const config = await new PlatformClient(values.url, key).config();
    if (!config) throw new Error('the platform answered without a configuration');
    const path = writeIdentity(stateDir, {
      url: values.url,
      key,
      collectorId: config.collector.collectorId,
      name: config.collector.name,
    });
    process.stdout.write(
      `registered as collector "${config.collector.name}" (${config.collector.collectorId}); identity in ${path}\n`,
    );
    return 0;
  }

  if (command === 'run') {
    const levels: LogLevel[] = ['debug', 'info', 'warn', 'error'];
    const level = (values['log-level'] ?? process.env.COLLECTOR_LOG_LEVEL ?? 'info') as LogLevel;
    if (!levels.includes(level)) throw new Error(`--log-level must be one of ${levels.join(', ')}`);
    const logger = jsonLogger(undefined, level);
    const identity = readIdentity(stateDir);
    const maxMb = values['queue-max-mb'] === undefined ? undefined : Number(values['queue-max-mb']);
    if (maxMb !== undefined && !(maxMb > 0)) throw new Error('--queue-max-mb must be a positive number');
    const syslogPort = values['syslog-port'] === undefined ? undefined : Number(values['syslog-port']);
    if (syslogPort !== undefined && !(Number.isInteger(syslogPort) && syslogPort >= 0 && syslogPort < 65_536))
      throw new Error('--syslog-port must be a port number');
    const trapPort = values['trap-port'] === undefined ? undefined : Number(values['trap-port']);
    if (trapPort !== undefined && !(Number.isInteger(trapPort) && trapPort > 0 && trapPort < 65_536))
      throw new Error('--trap-port must be a port number');
    const communities = values['trap-community'] ?? [];
    if (trapPort !== undefined && communities.length === 0)
      throw new Error('--trap-port needs at least one --trap-community (traps from others are refused)');
    const runtime = new CollectorRuntime({
      identity,
      stateDir,
      logger,
      hostIntervalMs: seconds(values['host-interval'], '--host-interval'),
      configIntervalMs: seconds(values['config-interval'], '--config-interval'),
      queueMaxBytes: maxMb === undefined ? undefined : maxMb * 1024 * 1024,
      hostPolling: !values['no-host'],
      ...(syslogPort === undefined
        ? {}
        : {
            syslog: { port: syslogPort, ...(values['syslog-host'] ? { host: values['syslog-host'] } : {}) },
          }),
      ...(trapPort === undefined
        ? {}
        : {
            traps: {
              port: trapPort,
              communities,
              ...(values['trap-host'] ? { host: values['trap-host'] } : {}),
            },
          }),
    });
    await runtime.start();
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    await runtime.stop();
    return 0;
  }

  process.stderr.write(`${USAGE}\n`);
  return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`collector: ${error.message}\n`);
    process.exit(1);
  },
);
