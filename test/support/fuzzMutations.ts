// Seeded mutators for the fuzz test: each takes a valid file's bytes (or parsed JSON) and a seeded
// random stream and returns a broken copy plus a short description of what was done, so that a
// failing case can be told apart and replayed from its seed alone.
import { crc32 } from 'node:zlib';
import { mulberry32 } from '../../src/engine/seededRandom';

/** A seeded random stream with the few helpers the mutators need. */
export class Rng {
  private readonly next: () => number;

  constructor(readonly seed: number) {
    this.next = mulberry32(seed);
  }

  /** Uniform float in [0, 1). */
  float(): number {
    return this.next();
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[this.int(items.length)];
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }
}

/** The seed of case `index` of a run seeded with `seed`: neighbouring cases get unrelated streams. */
export function caseSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
}

export interface Mutated<T> {
  value: T;
  /** What was done, for the failure report: `truncate@123`, `json:shape config.layers[0]…=-1`. */
  description: string;
}

// ---------------------------------------------------------------------------------------------
// Bytes

/** Cut the file at a random offset (often near the start or the end, where parsers look first). */
export function truncateBytes(bytes: Uint8Array, rng: Rng): Mutated<Uint8Array> {
  const where = rng.pick(['start', 'end', 'anywhere'] as const);
  const length =
    where === 'start' ? rng.int(Math.min(64, bytes.length)) : where === 'end' ? Math.max(0, bytes.length - 1 - rng.int(Math.min(64, bytes.length))) : rng.int(bytes.length);
  return { value: bytes.slice(0, length), description: `truncate@${length}/${bytes.length}` };
}

/** Flip 1–16 random bits; with `range`, only inside [start, end). */
export function flipBits(bytes: Uint8Array, rng: Rng, range: [number, number] = [0, bytes.length]): Mutated<Uint8Array> {
  const out = bytes.slice();
  const count = rng.pick([1, 1, 2, 4, 8, 16]);
  const flipped: number[] = [];
  for (let i = 0; i < count; i++) {
    const offset = range[0] + rng.int(Math.max(1, range[1] - range[0]));
    if (offset >= out.length) continue;
    out[offset] ^= 1 << rng.int(8);
    flipped.push(offset);
  }
  return { value: out, description: `flip@${flipped.slice(0, 4).join(',')}${flipped.length > 4 ? `…(${flipped.length})` : ''}` };
}

/** Overwrite a random run of bytes with random bytes, zeros or 0xff. */
export function overwriteBytes(bytes: Uint8Array, rng: Rng, range: [number, number] = [0, bytes.length]): Mutated<Uint8Array> {
  const out = bytes.slice();
  const start = range[0] + rng.int(Math.max(1, range[1] - range[0]));
  const length = Math.min(out.length - start, rng.between(1, 32));
  const fill = rng.pick(['random', 'zero', 'ff'] as const);
  for (let i = start; i < start + length; i++) out[i] = fill === 'zero' ? 0 : fill === 'ff' ? 0xff : rng.int(256);
  return { value: out, description: `overwrite(${fill})@${start}+${length}` };
}

/** float32 bit patterns a broken weight file may hold. */
export const POISON_FLOATS = {
  nan: 0x7fc00000,
  inf: 0x7f800000,
  negInf: 0xff800000,
  maxFloat: 0x7f7fffff,
  /** 1e30: finite, but overflows to Inf after a few layers. */
  huge: 0x7149f2ca,
} as const;

/**
 * Write NaN / ±Inf / huge float32 values (little-endian) over some of the 4-byte-aligned floats in
 * the given regions (each a [start, end) byte range of float32 weight data): one, a few, or all.
 */
export function poisonFloats(bytes: Uint8Array, rng: Rng, regions: [number, number][]): Mutated<Uint8Array> {
  const out = bytes.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const names = Object.keys(POISON_FLOATS) as (keyof typeof POISON_FLOATS)[];
  const poison = rng.pick(names);
  const [start, end] = rng.pick(regions);
  const floats = Math.floor((end - start) / 4);
  const amount = rng.pick(['one', 'some', 'all'] as const);
  const count = amount === 'one' ? 1 : amount === 'some' ? rng.between(2, Math.max(2, Math.floor(floats / 8))) : floats;
  for (let i = 0; i < count; i++) {
    const index = amount === 'all' ? i : rng.int(floats);
    view.setUint32(start + index * 4, POISON_FLOATS[poison], true);
  }
  return { value: out, description: `poison(${poison}×${amount === 'all' ? floats : count})@${start}` };
}

/** Byte offset of `needle` in `haystack`, or -1. */
export function indexOfBytes(haystack: Uint8Array, needle: Uint8Array): number {
  return Buffer.from(haystack.buffer, haystack.byteOffset, haystack.byteLength).indexOf(Buffer.from(needle.buffer, needle.byteOffset, needle.byteLength));
}

// ---------------------------------------------------------------------------------------------
// JSON

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A place in a JSON document: the container and the key or index that holds a value. */
interface Slot {
  parent: Json[] | { [key: string]: Json };
  key: string | number;
  path: string;
}

function slotsOf(value: Json, path = '$', out: Slot[] = []): Slot[] {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      out.push({ parent: value, key: i, path: `${path}[${i}]` });
      slotsOf(item, `${path}[${i}]`, out);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      out.push({ parent: value, key, path: `${path}.${key}` });
      slotsOf(item, `${path}.${key}`, out);
    }
  }
  return out;
}

const get = (slot: Slot): Json => (slot.parent as Record<string | number, Json>)[slot.key];
const set = (slot: Slot, value: Json) => ((slot.parent as Record<string | number, Json>)[slot.key] = value);

/** Written as a string while mutating; `stringifyMutatedJson` turns it into `1e999` (Infinity once parsed). */
const INFINITY_TOKEN = '__fuzz_infinity__';
const NEG_INFINITY_TOKEN = '__fuzz_neg_infinity__';

const HUGE_NUMBERS: Json[] = [1e9, -1e9, 2 ** 31, 2 ** 32 + 1, 2 ** 53 + 2, 1e15, 1e308, -1e308, 5e-324, INFINITY_TOKEN, NEG_INFINITY_TOKEN];
const BAD_DIMENSIONS: Json[] = [-1, 0, 1e9, 2.5, -3, 2 ** 31, 1e15, null, '3', INFINITY_TOKEN];

function wrongTypeFor(value: Json, rng: Rng): Json {
  const options: Json[] = ['fuzz', '', 0, -1, 1.5, null, true, [], [1, 2], {}, { class_name: 'Fuzz', config: {} }];
  const others = options.filter((option) => typeof option !== typeof value || Array.isArray(option) !== Array.isArray(value));
  return rng.pick(others.length > 0 ? others : options);
}

const isNumberArray = (value: Json): value is (number | null)[] => Array.isArray(value) && value.length > 0 && value.every((item) => item === null || typeof item === 'number');

/** The JSON-aware mutations, each on a parsed document in place. */
export const JSON_MUTATORS = {
  /** Replace a random value with one of another type. */
  wrongType(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc);
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    const replacement = wrongTypeFor(get(slot), rng);
    set(slot, replacement);
    return `wrongType ${slot.path}=${JSON.stringify(replacement)}`;
  },
  /** Break a shape-like list of numbers (shapes, kernel sizes, strides): a bad dimension, or one too many / few. */
  shape(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc).filter((slot) => isNumberArray(get(slot)));
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    const shape = get(slot) as Json[];
    const action = rng.pick(['dimension', 'dimension', 'dimension', 'drop', 'append', 'empty'] as const);
    if (action === 'dimension') {
      const i = rng.int(shape.length);
      shape[i] = rng.pick(BAD_DIMENSIONS);
      return `shape ${slot.path}[${i}]=${JSON.stringify(shape[i])}`;
    }
    if (action === 'drop') shape.pop();
    else if (action === 'append') shape.push(rng.pick([1, 3, 1e9]));
    else shape.length = 0;
    return `shape ${slot.path} ${action} → ${JSON.stringify(shape)}`;
  },
  /** Delete a random key of a random object. */
  deleteKey(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc).filter((slot) => !Array.isArray(slot.parent));
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    delete (slot.parent as Record<string, Json>)[slot.key as string];
    return `deleteKey ${slot.path}`;
  },
  /** Replace a random number with a huge, negative, tiny or infinite one. */
  hugeNumber(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc).filter((slot) => typeof get(slot) === 'number');
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    const replacement = rng.pick(HUGE_NUMBERS);
    set(slot, replacement);
    return `hugeNumber ${slot.path}=${JSON.stringify(replacement)}`;
  },
  /** Replace a random string (names, classes, activations, dtypes, paths) with another string. */
  otherString(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc).filter((slot) => typeof get(slot) === 'string');
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    const original = get(slot) as string;
    const replacement = rng.pick(['', 'x'.repeat(5000), `${original}_2`, '../outside', '/etc/passwd', 'https://example.invalid/w.bin', '<img src=x onerror=alert(1)>', 'float16', 'int32', 'Conv2D', 'relu6', '\u0000']);
    set(slot, replacement);
    return `otherString ${slot.path}=${JSON.stringify(replacement.slice(0, 40))}`;
  },
  /** Duplicate an element of a list (a layer, a weight spec, an inbound node). */
  duplicate(doc: Json, rng: Rng): string | undefined {
    const slots = slotsOf(doc).filter((slot) => Array.isArray(slot.parent));
    if (slots.length === 0) return undefined;
    const slot = rng.pick(slots);
    (slot.parent as Json[]).splice(slot.key as number, 0, structuredClone(get(slot)));
    return `duplicate ${slot.path}`;
  },
} satisfies Record<string, (doc: Json, rng: Rng) => string | undefined>;

export type JsonMutatorName = keyof typeof JSON_MUTATORS;

/** 1–3 JSON-aware mutations of a deep copy of `doc`; the document is returned as text. */
export function mutateJson(doc: unknown, rng: Rng, only?: JsonMutatorName[]): Mutated<string> {
  const copy = structuredClone(doc) as Json;
  const names = only ?? (Object.keys(JSON_MUTATORS) as JsonMutatorName[]);
  const steps: string[] = [];
  const count = rng.pick([1, 1, 1, 2, 3]);
  for (let i = 0; i < count; i++) {
    const step = JSON_MUTATORS[rng.pick(names)](copy, rng);
    if (step) steps.push(step);
  }
  return { value: stringifyMutatedJson(copy), description: `json:${steps.join('; ')}` };
}

export function stringifyMutatedJson(doc: unknown): string {
  return JSON.stringify(doc).replaceAll(`"${INFINITY_TOKEN}"`, '1e999').replaceAll(`"${NEG_INFINITY_TOKEN}"`, '-1e999');
}

/** Text-level damage JSON.parse must report: a stray character, an unclosed value, a NaN literal. */
export function breakJsonText(text: string, rng: Rng): Mutated<string> {
  const at = rng.int(text.length);
  const insert = rng.pick(['NaN', 'Infinity', '}', '{', '"', ',', '\u0000', '\ud800']);
  return { value: text.slice(0, at) + insert + text.slice(at), description: `jsonText insert ${JSON.stringify(insert)}@${at}` };
}

// ---------------------------------------------------------------------------------------------
// Images

const IMAGE_DIMENSIONS = [0, 1, 2, 20000, 65535, 0x7fffffff, 0xffffffff];

/**
 * PNG header damage: IHDR width / height / bit depth / colour type, or an IDAT chunk length, with
 * the chunk's CRC recomputed (so the decoder gets past the CRC check) or left stale.
 */
export function mutatePngHeader(bytes: Uint8Array, rng: Rng): Mutated<Uint8Array> {
  const out = bytes.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  // Signature (8), then IHDR: length (4) "IHDR" (4) width (4) height (4) depth (1) colour (1) … CRC (4).
  const field = rng.pick(['width', 'height', 'both', 'bitDepth', 'colourType', 'idatLength'] as const);
  let description: string;
  if (field === 'idatLength') {
    const idat = indexOfBytes(out, new TextEncoder().encode('IDAT'));
    const length = rng.pick([0, 1, 0x7fffffff, 0xffffffff, view.getUint32(idat - 4) + 100]);
    view.setUint32(idat - 4, length);
    return { value: out, description: `png IDAT length=${length}` };
  }
  if (field === 'bitDepth' || field === 'colourType') {
    const value = rng.pick([0, 3, 5, 7, 16, 255]);
    out[field === 'bitDepth' ? 24 : 25] = value;
    description = `png ${field}=${value}`;
  } else {
    const width = field === 'height' ? view.getUint32(16) : rng.pick(IMAGE_DIMENSIONS);
    const height = field === 'width' ? view.getUint32(20) : rng.pick(IMAGE_DIMENSIONS);
    view.setUint32(16, width);
    view.setUint32(20, height);
    description = `png ${width}×${height}`;
  }
  if (rng.chance(0.7)) {
    view.setUint32(29, crc32(out.subarray(12, 29)));
    description += ' (crc fixed)';
  }
  return { value: out, description };
}

/** JPEG header damage: the frame header's (SOFn) height / width / component count, or a segment length. */
export function mutateJpegHeader(bytes: Uint8Array, rng: Rng): Mutated<Uint8Array> {
  const out = bytes.slice();
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  let sof = -1;
  const segments: number[] = [];
  // Walk the marker segments up to the start of scan.
  for (let offset = 2; offset + 4 <= out.length && out[offset] === 0xff; ) {
    const marker = out[offset + 1];
    segments.push(offset);
    if (marker >= 0xc0 && marker <= 0xc3) sof = offset;
    if (marker === 0xda) break;
    offset += 2 + view.getUint16(offset + 2);
  }
  const field = rng.pick(['height', 'width', 'both', 'components', 'precision', 'segmentLength'] as const);
  if (field === 'segmentLength' || sof < 0) {
    const segment = rng.pick(segments);
    const length = rng.pick([0, 1, 2, 0xffff]);
    view.setUint16(segment + 2, length);
    return { value: out, description: `jpeg segment@${segment} length=${length}` };
  }
  // SOFn: marker (2) length (2) precision (1) height (2) width (2) components (1) …
  const dimension = () => rng.pick([0, 1, 2, 20000, 65535]);
  if (field === 'components') out[sof + 9] = rng.pick([0, 2, 4, 255]);
  else if (field === 'precision') out[sof + 4] = rng.pick([0, 12, 16, 255]);
  else {
    if (field !== 'width') view.setUint16(sof + 5, dimension());
    if (field !== 'height') view.setUint16(sof + 7, dimension());
  }
  return { value: out, description: `jpeg ${field}: ${view.getUint16(sof + 5)}×${view.getUint16(sof + 7)}, ${out[sof + 9]} components, precision ${out[sof + 4]}` };
}
