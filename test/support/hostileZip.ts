// Zip archives built to attack an unzipper, for `.keras` cases: a small zip writer that, unlike
// fflate's, writes whatever it is told (two members of one name, sizes that lie, an unknown
// method, names with `..`), zip bombs, and a seeded generator of random archive structures.
import { deflateSync } from 'fflate';
import { crc32 } from 'node:zlib';
import { Rng } from './fuzzMutations';

export interface ZipMember {
  name: string;
  data: Uint8Array;
  /** Deflate (8, the default) or store (0); any other number is written as it is. */
  method?: number;
  /** Written in the headers instead of the true sizes. */
  declaredSize?: number;
  declaredCompressedSize?: number;
  /** The compressed bytes, when they are not `data` deflated (a bomb made once, reused). */
  compressed?: Uint8Array;
}

const DOS_TIME = 0x6000;
const DOS_DATE = 0x5821;

/** A zip archive of the members, in order, with a central directory. */
export function writeZip(members: ZipMember[], options: { centralDirectory?: boolean } = {}): Uint8Array {
  const chunks: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const member of members) {
    const name = new TextEncoder().encode(member.name);
    const method = member.method ?? 8;
    const body = member.compressed ?? (method === 8 ? deflateSync(member.data) : member.data);
    const crc = crc32(member.data) >>> 0;
    const size = member.declaredSize ?? member.data.length;
    const compressedSize = member.declaredCompressedSize ?? body.length;
    const local = new DataView(new ArrayBuffer(30));
    local.setUint32(0, 0x04034b50, true);
    local.setUint16(4, 20, true);
    local.setUint16(8, method, true);
    local.setUint16(10, DOS_TIME, true);
    local.setUint16(12, DOS_DATE, true);
    local.setUint32(14, crc, true);
    local.setUint32(18, compressedSize >>> 0, true);
    local.setUint32(22, size >>> 0, true);
    local.setUint16(26, name.length, true);
    const entry = new DataView(new ArrayBuffer(46));
    entry.setUint32(0, 0x02014b50, true);
    entry.setUint16(4, 20, true);
    entry.setUint16(6, 20, true);
    entry.setUint16(10, method, true);
    entry.setUint16(12, DOS_TIME, true);
    entry.setUint16(14, DOS_DATE, true);
    entry.setUint32(16, crc, true);
    entry.setUint32(20, compressedSize >>> 0, true);
    entry.setUint32(24, size >>> 0, true);
    entry.setUint16(28, name.length, true);
    entry.setUint32(42, offset, true);
    chunks.push(new Uint8Array(local.buffer), name, body);
    central.push(new Uint8Array(entry.buffer), name);
    offset += 30 + name.length + body.length;
  }
  if (options.centralDirectory !== false) {
    const directorySize = central.reduce((sum, chunk) => sum + chunk.length, 0);
    const end = new DataView(new ArrayBuffer(22));
    end.setUint32(0, 0x06054b50, true);
    end.setUint16(8, members.length, true);
    end.setUint16(10, members.length, true);
    end.setUint32(12, directorySize, true);
    end.setUint32(16, offset, true);
    chunks.push(...central, new Uint8Array(end.buffer));
  }
  const total = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    total.set(chunk, at);
    at += chunk.length;
  }
  return total;
}

/**
 * A raw deflate stream of at least `size` zero bytes (to the next 258), built directly: a 1 GiB bomb
 * is 6.5 MB, made in a moment and without the gigabyte. One fixed-Huffman block: a literal 0, then
 * copies of 258 bytes at distance 1, then the end of the block.
 */
export function deflatedZeros(size: number): Uint8Array {
  const copies = Math.max(0, Math.ceil((size - 1) / 258));
  const out = new Uint8Array(Math.ceil((3 + 8 + copies * 13 + 7) / 8));
  let position = 0;
  // Header bits go least significant first, Huffman codes most significant first.
  const bits = (value: number, count: number, reversed = false) => {
    for (let i = 0; i < count; i++, position++) if ((value >> (reversed ? count - 1 - i : i)) & 1) out[position >> 3] |= 1 << (position & 7);
  };
  bits(1, 1); // the final block
  bits(1, 2); // fixed Huffman codes
  bits(0x30, 8, true); // literal 0
  for (let i = 0; i < copies; i++) {
    bits(0xc5, 8, true); // length code 285: 258 bytes
    bits(0, 5, true); // distance code 0: distance 1
  }
  bits(0, 7, true); // end of block
  return out;
}

const text = (value: string) => new TextEncoder().encode(value);

/**
 * A seeded random archive around a valid `.keras` archive's members: members repeated, renamed,
 * reordered, stored or deflated, with sizes that lie or an unknown method, bombs, a missing
 * central directory or a cut end. Returns the bytes and what was done.
 */
export function randomArchive(members: Record<string, Uint8Array>, rng: Rng, bomb: Uint8Array): { bytes: Uint8Array; record: string[] } {
  const record: string[] = [];
  let list: ZipMember[] = Object.entries(members).map(([name, data]) => ({ name, data, method: rng.chance(0.3) ? 0 : 8 }));
  const count = 1 + rng.int(3);
  for (let n = 0; n < count; n++) {
    const kind = rng.pick(['duplicate', 'rename', 'reorder', 'lieSize', 'method', 'bomb', 'junk', 'emptyName', 'manyMembers'] as const);
    const target = rng.int(list.length);
    record.push(`${kind}@${list[target]?.name}`);
    switch (kind) {
      case 'duplicate':
        list.splice(rng.int(list.length + 1), 0, { ...list[target] });
        break;
      case 'rename':
        list[target] = { ...list[target], name: rng.pick(['../config.json', '/config.json', 'config.json/', 'CONFIG.JSON', 'config.json\u0000x', './model.weights.h5', 'a/../config.json', '\u202econfig.json']) };
        break;
      case 'reorder':
        list = [...list.slice(target), ...list.slice(0, target)];
        break;
      case 'lieSize':
        list[target] = { ...list[target], declaredSize: rng.pick([0, 1, 0x7fffffff, 0xffffffff]) };
        break;
      case 'method':
        list[target] = { ...list[target], method: rng.pick([1, 12, 14, 99, 0xffff]) };
        break;
      case 'bomb':
        list[target] = { ...list[target], compressed: bomb, method: 8, data: new Uint8Array(0), declaredSize: rng.chance(0.5) ? 100 : undefined };
        break;
      case 'junk':
        list.splice(rng.int(list.length + 1), 0, { name: `junk${n}.bin`, data: text('x'.repeat(rng.int(10_000))) });
        break;
      case 'emptyName':
        list.splice(rng.int(list.length + 1), 0, { name: '', data: text('{}') });
        break;
      case 'manyMembers':
        for (let i = 0; i < 200; i++) list.push({ name: `m${i}`, data: new Uint8Array(1), method: 0 });
        break;
    }
  }
  let bytes = writeZip(list, { centralDirectory: !rng.chance(0.2) });
  if (rng.chance(0.2)) {
    const cut = rng.int(bytes.length);
    bytes = bytes.slice(0, cut);
    record.push(`cut@${cut}`);
  }
  return { bytes, record };
}
