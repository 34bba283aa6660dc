// The image formats Convscope reads (README: JPEG, PNG, WebP, GIF, TIFF, AVIF), told by the file's
// first bytes before the decoder sees it. sharp reads more (SVG, PDF, HEIC, raw pixel formats), and
// some of those run as long as a file likes: an SVG of a few KB can render for minutes into
// gigabytes, in a thread of libuv's pool that nothing can stop and that keeps even the process
// from exiting. Such files are refused here, by what they are, not by how long they take.
import { readRegularFileStart } from '../files/regularFile';
import { InputError } from '../shared/errors';

const ascii = (text: string) => Array.from(text, (char) => char.charCodeAt(0));
const startsWith = (bytes: Uint8Array, signature: number[], at = 0) => signature.every((byte, i) => bytes[at + i] === byte);

/** ISO base media brands of AVIF still images and sequences. */
const AVIF_BRANDS = new Set(['avif', 'avis']);

function imageFormatOf(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'PNG';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'JPEG';
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a'))) return 'GIF';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'WebP';
  if (startsWith(head, [0x49, 0x49, 0x2a, 0x00]) || startsWith(head, [0x4d, 0x4d, 0x00, 0x2a])) return 'TIFF';
  if (startsWith(head, ascii('ftyp'), 4)) {
    const boxSize = (head[0] << 24) | (head[1] << 16) | (head[2] << 8) | head[3];
    const brands: string[] = [];
    for (let at = 8; at + 4 <= Math.min(head.length, boxSize); at += 4) if (at !== 12) brands.push(String.fromCharCode(...head.subarray(at, at + 4)));
    if (brands.some((brand) => AVIF_BRANDS.has(brand))) return 'AVIF';
  }
  return undefined;
}

/** Refuses, before decoding, a file that is not an image in a format Convscope reads (or not a regular file). */
export async function checkImageFormat(imagePath: string): Promise<void> {
  const head = await readRegularFileStart(imagePath, 'image', 64);
  if (!imageFormatOf(head)) throw new InputError(imagePath, 'is not an image in a format Convscope reads (JPEG, PNG, WebP, GIF, TIFF or AVIF)');
}
