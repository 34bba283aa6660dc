// Reading a .vsix (a zip archive) without a dependency: the names of its files, and the files
// themselves, for listing a package's contents and for running the packaged extension.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

export interface ArchiveEntry {
  name: string;
  size: number;
  /** 0: stored, 8: deflated. */
  method: number;
  compressedSize: number;
  localHeaderOffset: number;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;

/** The entries of the archive's central directory (zip64 archives, which vsce never writes, are refused). */
export function archiveEntries(archive: Buffer): ArchiveEntry[] {
  let end = archive.length - 22;
  while (end >= 0 && archive.readUInt32LE(end) !== END_OF_CENTRAL_DIRECTORY) end--;
  if (end < 0) throw new Error('not a zip archive: no end of central directory');
  const count = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const entries: ArchiveEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (archive.readUInt32LE(offset) !== CENTRAL_DIRECTORY_ENTRY) throw new Error(`zip archive: bad central directory entry ${i}`);
    const nameLength = archive.readUInt16LE(offset + 28);
    const extraLength = archive.readUInt16LE(offset + 30);
    const commentLength = archive.readUInt16LE(offset + 32);
    entries.push({
      method: archive.readUInt16LE(offset + 10),
      compressedSize: archive.readUInt32LE(offset + 20),
      size: archive.readUInt32LE(offset + 24),
      localHeaderOffset: archive.readUInt32LE(offset + 42),
      name: archive.toString('utf8', offset + 46, offset + 46 + nameLength),
    });
    offset += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryData(archive: Buffer, entry: ArchiveEntry): Buffer {
  const header = entry.localHeaderOffset;
  if (archive.readUInt32LE(header) !== LOCAL_FILE_HEADER) throw new Error(`zip archive: bad local header for ${entry.name}`);
  const start = header + 30 + archive.readUInt16LE(header + 26) + archive.readUInt16LE(header + 28);
  const data = archive.subarray(start, start + entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method === 8) return inflateRawSync(data);
  throw new Error(`zip archive: ${entry.name} uses compression method ${entry.method}`);
}

/** Extracts every file of the archive under `directory` (names leaving it are refused). */
export function extractArchive(archiveFile: string, directory: string): void {
  const archive = readFileSync(archiveFile);
  for (const entry of archiveEntries(archive)) {
    if (entry.name.endsWith('/')) continue;
    const target = path.resolve(directory, entry.name);
    if (!target.startsWith(path.resolve(directory) + path.sep)) throw new Error(`zip archive: ${entry.name} leaves the folder`);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, entryData(archive, entry));
  }
}
