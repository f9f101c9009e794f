import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { KEY_BYTES, type KeyRing } from './seal.js';

/**
 * Where the master key ring comes from: `TOOLVAULT_MASTER_KEY` wins; otherwise `<home>/master.key`, created
 * on first start. Fails closed: a present but unusable key never falls back to anything.
 */

export const MASTER_KEY_ENV = 'TOOLVAULT_MASTER_KEY';
/**
 * Several keys from the environment, comma-separated, the first one current: how an environment-keyed
 * deployment rotates (the environment cannot be rewritten by `toolvault keys rotate`).
 */
export const MASTER_KEYS_ENV = 'TOOLVAULT_MASTER_KEYS';
export const MASTER_KEY_FILE = 'master.key';

/** The key file's JSON: room for several keys so `keys rotate` can add one and retire another. */
export interface KeyFile {
  version: 1;
  current: string;
  keys: Record<string, string>;
}

export interface LoadedKeyRing {
  ring: KeyRing;
  source: 'env' | 'file';
  /** The key file, when the ring came from one. */
  path?: string;
  /** True when this call generated the key file. */
  created: boolean;
  /** Things an operator should fix (e.g. a key file readable by others); the caller logs them. */
  warnings: string[];
}

const KEY_ID_LABEL = 'toolvault master key id v1\0';
// 32 bytes are 43 base64 characters and one '='; a stricter test than Buffer.from, which skips junk.
const BASE64_KEY = /^[A-Za-z0-9+/]{43}=?$/;

/** A stable, non-secret id for a key: `k_` + 16 hex chars of sha256(label || key). */
export function keyIdFor(key: Uint8Array): string {
  return 'k_' + createHash('sha256').update(KEY_ID_LABEL).update(key).digest('hex').slice(0, 16);
}

/** Loads the key ring from the environment or the home folder, creating the key file when absent. */
export async function loadKeyRing(opts: {
  home: string;
  env?: Readonly<Record<string, string | undefined>>;
}): Promise<LoadedKeyRing> {
  const env = opts.env ?? process.env;
  const path = join(opts.home, MASTER_KEY_FILE);
  const fromEnv = env[MASTER_KEY_ENV];
  const manyFromEnv = env[MASTER_KEYS_ENV];
  if (fromEnv !== undefined && manyFromEnv !== undefined) {
    throw new ConfigError(MASTER_KEYS_ENV, `set either ${MASTER_KEY_ENV} or ${MASTER_KEYS_ENV}, not both`);
  }
  if (manyFromEnv !== undefined) {
    const keys = new Map<string, Uint8Array>();
    for (const part of manyFromEnv.split(',')) {
      const key = decodeKey(part, MASTER_KEYS_ENV);
      keys.set(keyIdFor(key), key);
    }
    const currentKeyId = keys.keys().next().value;
    if (currentKeyId === undefined) throw new ConfigError(MASTER_KEYS_ENV, 'lists no key');
    const warnings: string[] = [];
    if (await exists(path)) warnings.push(`${MASTER_KEYS_ENV} is set, so ${path} is ignored`);
    return { ring: { currentKeyId, keys }, source: 'env', created: false, warnings };
  }
  // Set but empty still counts as set: a blank from a template must not quietly mint a new key.
  if (fromEnv !== undefined) {
    const key = decodeKey(fromEnv, MASTER_KEY_ENV);
    const keyId = keyIdFor(key);
    const warnings: string[] = [];
    if (await exists(path)) warnings.push(`${MASTER_KEY_ENV} is set, so ${path} is ignored`);
    return {
      ring: { currentKeyId: keyId, keys: new Map([[keyId, key]]) },
      source: 'env',
      created: false,
      warnings,
    };
  }

  let created = false;
  let text = await readIfExists(path);
  if (text === null) {
    created = await createKeyFile(opts.home, path);
    text = created ? await readFile(path, 'utf8') : await readWinner(path);
  }
  const ring = decodeKeyFile(text, path);
  return { ring, source: 'file', path, created, warnings: await modeWarnings(path) };
}

/** Parses and checks a key file's text; any flaw is a ConfigError naming `path`. */
export function decodeKeyFile(text: string, path: string): KeyRing {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ConfigError(
      path,
      'the key file is not valid JSON; restore it from backup (secrets cannot be opened without it)',
    );
  }
  if (!isRecord(parsed) || parsed['version'] !== 1) {
    throw new ConfigError(path, 'the key file has an unknown format (expected version 1)');
  }
  const current = parsed['current'];
  const entries = parsed['keys'];
  if (typeof current !== 'string' || !isRecord(entries)) {
    throw new ConfigError(path, 'the key file needs "current" and "keys"');
  }
  const keys = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(entries)) {
    if (typeof value !== 'string') throw new ConfigError(path, `key ${id} is not a base64 string`);
    const key = decodeKey(value, path);
    // A key whose id no longer matches its bytes was damaged; opening secrets with it would only fail later.
    if (keyIdFor(key) !== id) throw new ConfigError(path, `key ${id} does not match its id (damaged file?)`);
    keys.set(id, key);
  }
  if (!keys.has(current)) throw new ConfigError(path, `current key ${current} is not among the keys`);
  return { currentKeyId: current, keys };
}

/** Serialises a key ring into key file text. */
export function encodeKeyFile(ring: KeyRing): string {
  const keys: Record<string, string> = {};
  for (const [id, key] of ring.keys) keys[id] = Buffer.from(key).toString('base64');
  const file: KeyFile = { version: 1, current: ring.currentKeyId, keys };
  return JSON.stringify(file, null, 2) + '\n';
}

/**
 * Replaces the key file with `ring` atomically: a private temp file, fsync, rename over the old one, fsync the
 * folder. A crash at any point leaves either the old file or the new one, never a mix or nothing.
 */
export async function replaceKeyFile(home: string, ring: KeyRing): Promise<void> {
  const path = join(home, MASTER_KEY_FILE);
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writePrivate(tmp, encodeKeyFile(ring));
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(home);
}

/** Removes temp files a crashed key file write left behind (they hold keys: do not let them linger). */
export async function removeStaleKeyTemps(home: string): Promise<number> {
  const names = await readdir(home).catch(() => [] as string[]);
  const stale = names.filter((n) => n.startsWith(`${MASTER_KEY_FILE}.`) && n.endsWith('.tmp'));
  await Promise.all(stale.map((n) => unlink(join(home, n)).catch(() => undefined)));
  return stale.length;
}

function decodeKey(text: string, field: string): Uint8Array {
  const trimmed = text.trim();
  const bytes = BASE64_KEY.test(trimmed) ? Buffer.from(trimmed, 'base64') : null;
  if (bytes === null || bytes.length !== KEY_BYTES) {
    throw new ConfigError(
      field,
      `must be base64 of exactly ${KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`,
    );
  }
  return new Uint8Array(bytes);
}

/**
 * Writes a fresh key ring to a private temp file, then hard-links it into place: link(2) refuses to replace
 * an existing file, so when two processes start at once exactly one key wins and the other reads it.
 * Returns false when another process won.
 */
async function createKeyFile(home: string, path: string): Promise<boolean> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  const key = new Uint8Array(randomBytes(KEY_BYTES));
  const id = keyIdFor(key);
  const text = encodeKeyFile({ currentKeyId: id, keys: new Map([[id, key]]) });
  const tmp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writePrivate(tmp, text);
  try {
    await link(tmp, path);
  } catch (err) {
    if (errno(err) === 'EEXIST') return false;
    if (errno(err) !== 'EPERM' && errno(err) !== 'ENOTSUP' && errno(err) !== 'ENOSYS') throw err;
    // No hard links on this filesystem: create in place, still refusing to clobber a winner's file.
    try {
      await writePrivate(path, text);
    } catch (inner) {
      if (errno(inner) === 'EEXIST') return false;
      throw inner;
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  await syncDir(home);
  return true;
}

async function writePrivate(path: string, text: string): Promise<void> {
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The winner of a creation race may still be writing when it used the no-link fallback; give it a moment. */
async function readWinner(path: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const text = await readFile(path, 'utf8');
    if (attempt >= 20 || looksComplete(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function looksComplete(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT') return null;
    throw new ConfigError(path, `the key file cannot be read (${errno(err) ?? 'unknown error'})`);
  }
}

async function modeWarnings(path: string): Promise<string[]> {
  const { mode } = await stat(path);
  if ((mode & 0o077) === 0) return [];
  const octal = (mode & 0o777).toString(8).padStart(3, '0');
  return [`${path} has mode ${octal}; it holds the master key, so make it 600 (chmod 600 ${path})`];
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new directory entry durable; some platforms cannot open a directory, which is fine to skip.
  const handle = await open(dir, constants.O_RDONLY).catch(() => null);
  if (handle === null) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

function errno(err: unknown): string | undefined {
  return isRecord(err) && typeof err['code'] === 'string' ? err['code'] : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
