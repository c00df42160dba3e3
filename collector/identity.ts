/**
 * The collector's identity: platform URL, ingest key, collector id. Written once by `register`, 0600,
 * replaced atomically. Device credentials are never written here or anywhere: they live in memory.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';

export interface Identity {
  readonly url: string;
  readonly key: string;
  readonly collectorId: string;
  readonly name: string;
}

export const IDENTITY_FILE = 'identity.json';

export function identityPath(stateDir: string): string {
  return join(stateDir, IDENTITY_FILE);
}

export function writeIdentity(stateDir: string, identity: Identity): string {
  const path = identityPath(stateDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(identity, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  return path;
}

export function readIdentity(stateDir: string): Identity {
  const path = identityPath(stateDir);
  const mode = statSync(path).mode & 0o777;
  if (mode & 0o077) throw new Error(`${path} is readable by others (mode ${mode.toString(8)}); chmod 600 it`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<Identity>;
  if (!parsed.url || !parsed.key || !parsed.collectorId)
    throw new Error(`${path} is not a collector identity`);
  return { url: parsed.url, key: parsed.key, collectorId: parsed.collectorId, name: parsed.name ?? '' };
}
