import { readRegularFileStart } from '../../files/regularFile';

/** The first bytes of the file formats Convscope reads. */
export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
export const ZIP_SIGNATURE = Uint8Array.from([0x50, 0x4b, 0x03, 0x04]);

/**
 * Whether the file's first bytes are `signature`: tells formats apart without trusting the
 * extension. Anything but a regular file (a FIFO, a device, a folder) is an InputError.
 */
export async function fileStartsWith(file: string, signature: Uint8Array, what = 'model file'): Promise<boolean> {
  const head = await readRegularFileStart(file, what, signature.length);
  return head.length === signature.length && head.every((byte, i) => byte === signature[i]);
}
