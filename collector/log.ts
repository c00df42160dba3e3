/**
 * One JSON line per event on stderr (journald keeps it). Only the fields a caller names are written,
 * and never a value the redactor recognises as a credential: device secrets and the ingest key stay
 * in memory.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
  /** Values that must never appear in a log line (credentials as they arrive). */
  forget(secret: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function jsonLogger(
  write: (line: string) => void = (l) => process.stderr.write(l),
  minimum: LogLevel = 'info',
): Logger {
  const secrets = new Set<string>();
  const scrub = (text: string) => {
    let out = text;
    for (const s of secrets) if (s.length >= 4) out = out.split(s).join('[redacted]');
    return out.replace(/obs_[a-z]+_[A-Za-z0-9_-]+/g, '[redacted]');
  };
  return {
    log(level, message, fields = {}) {
      if (RANK[level] < RANK[minimum]) return;
      const line = JSON.stringify({ time: new Date().toISOString(), level, message, ...fields });
      write(`${scrub(line)}\n`);
    },
    forget(secret) {
      secrets.add(secret);
    },
  };
}
