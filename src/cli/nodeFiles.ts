/**
 * Node-side file access for the CLI: read a model file (refusing files a protobuf cannot hold before
 * reading them), find its external-data files next to it, read external byte ranges, copy them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ModelError } from '../core/errors.js';
import type { Model, Tensor } from '../core/ir/types.js';
import { decodeModel, MAX_PROTOBUF_BYTES } from '../core/onnx/codec.js';
import { externalLocations, externalTensors } from '../core/onnx/externalTensors.js';
import { externalRef } from '../core/onnx/tensorData.js';

export { externalLocations, externalTensors, type ExternalTensor } from '../core/onnx/externalTensors.js';

export interface LoadedModel {
  /** absolute path of the model file */
  path: string;
  /** directory external-data locations are relative to */
  dir: string;
  bytes: Uint8Array;
  model: Model;
}

function fsMessage(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return e instanceof Error ? e.message : String(e);
}

/** Read and decode a model file. Files over 2 GiB are refused from their size alone. */
export function readModelFile(file: string): LoadedModel {
  const abs = path.resolve(file);
  const name = path.basename(abs);
  let size: number;
  try {
    const st = fs.statSync(abs);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = st.size;
  } catch (e) {
    throw new Error(`cannot read '${file}': ${fsMessage(e)}`);
  }
  if (size > MAX_PROTOBUF_BYTES)
    throw new ModelError(
      'too-large',
      `'${name}' is over 2 GiB (${size.toLocaleString('en-US')} bytes); a single ONNX protobuf cannot be that large. Save the model with external data (weights in a separate .data file) and open that model`,
      abs,
    );
  let buf: Buffer;
  try {
    buf = fs.readFileSync(abs);
  } catch (e) {
    throw new Error(`cannot read '${file}': ${fsMessage(e)}`);
  }
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  return { path: abs, dir: path.dirname(abs), bytes, model: decodeModel(bytes, { fileName: name }) };
}

// ---- external data ----

/**
 * Absolute path of an external-data location. Like the ONNX checker, only paths inside the model's
 * directory are accepted, so a model cannot make the CLI read or write files elsewhere.
 */
export function resolveExternalPath(modelDir: string, location: string, where?: string): string {
  if (!location) throw new ModelError('bad-external-data', `${where ?? 'A tensor'} is marked as external data but has no 'location'`, where);
  if (path.isAbsolute(location) || path.win32.isAbsolute(location))
    throw new ModelError('bad-external-data', `External data location '${location}' is an absolute path; ONNX requires a path relative to the model file`, where);
  const abs = path.resolve(modelDir, location);
  const rel = path.relative(modelDir, abs);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel))
    throw new ModelError('bad-external-data', `External data location '${location}' points outside the model's directory`, where);
  return abs;
}

export interface ExternalFileStatus {
  location: string;
  path: string;
  exists: boolean;
  bytes?: number;
}

/** Which external-data files exist next to the model (no bytes are read). */
export function externalFileStatus(model: Model, modelDir: string): ExternalFileStatus[] {
  return externalLocations(model).map((location) => {
    let abs = '';
    try {
      abs = resolveExternalPath(modelDir, location);
    } catch {
      return { location, path: '', exists: false };
    }
    try {
      const st = fs.statSync(abs);
      return st.isFile() ? { location, path: abs, exists: true, bytes: st.size } : { location, path: abs, exists: false };
    } catch {
      return { location, path: abs, exists: false };
    }
  });
}

function missingFile(location: string, abs: string, where?: string): ModelError {
  return new ModelError('missing-external-data', `External data file '${location}' was not found (looked for ${abs})`, where);
}

/** The bytes of one external tensor, read from its file with a positioned read. */
export function readExternalBytes(modelDir: string, t: Tensor): Uint8Array {
  const where = t.name ? `tensor '${t.name}'` : 'unnamed tensor';
  const ref = externalRef(t);
  if (!ref) throw new Error(`${where} does not use external data`);
  const abs = resolveExternalPath(modelDir, ref.location, where);
  let fd: number;
  try {
    fd = fs.openSync(abs, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw missingFile(ref.location, abs, where);
    throw new ModelError('bad-external-data', `Cannot read external data file '${ref.location}': ${fsMessage(e)}`, where);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const offset = ref.offset;
    if (!Number.isSafeInteger(offset) || offset < 0 || offset > size)
      throw new ModelError('bad-external-data', `The data of ${where} starts at byte ${ref.offset} of '${ref.location}', which has only ${size} bytes`, where);
    const length = ref.length ?? size - offset;
    if (!Number.isSafeInteger(length) || length < 0 || offset + length > size)
      throw new ModelError(
        'bad-external-data',
        `The data of ${where} needs bytes ${offset}..${offset + length} of '${ref.location}', which has only ${size} bytes`,
        where,
      );
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(fd, out, done, length - done, offset + done);
      if (n === 0) break;
      done += n;
    }
    if (done < length) throw new ModelError('bad-external-data', `'${ref.location}' ended after ${offset + done} bytes while reading ${where}`, where);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** External bytes of every external tensor, keyed by tensor object. */
export function readAllExternalData(model: Model, modelDir: string): Map<Tensor, Uint8Array> {
  const out = new Map<Tensor, Uint8Array>();
  for (const { tensor } of externalTensors(model)) out.set(tensor, readExternalBytes(modelDir, tensor));
  return out;
}

/** Throw 'missing-external-data' naming the first external file that is not there. */
export function requireExternalFiles(model: Model, modelDir: string): ExternalFileStatus[] {
  const status = externalFileStatus(model, modelDir);
  for (const s of status) {
    const abs = resolveExternalPath(modelDir, s.location);
    if (!s.exists) throw missingFile(s.location, abs);
  }
  return status;
}

/**
 * Copy the model's external-data files from `fromDir` to the same relative locations under `toDir`.
 * Returns the locations copied (none when both directories are the same).
 */
export function copyExternalFiles(model: Model, fromDir: string, toDir: string): string[] {
  const status = requireExternalFiles(model, fromDir);
  if (path.resolve(fromDir) === path.resolve(toDir)) return [];
  const copied: string[] = [];
  for (const s of status) {
    const dest = resolveExternalPath(toDir, s.location);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(s.path, dest);
    copied.push(s.location);
  }
  return copied;
}
