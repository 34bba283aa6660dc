// NumPy .npy export of an activation, so it can be loaded with `np.load` next to the study notes' code.

const MAGIC = [0x93, ...Array.from('NUMPY', (letter) => letter.charCodeAt(0))];
/** Magic string, version (1.0) and the little-endian uint16 header length precede the header. */
const PREAMBLE_BYTES = MAGIC.length + 2 + 2;
/** Format 1.0 pads the header so the data starts on a 64-byte boundary. */
const HEADER_ALIGNMENT = 64;

/** float32 values in C order as a version 1.0 .npy file (dtype '<f4', fortran_order False). */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  if (!shape.every((size) => Number.isInteger(size) && size >= 0)) throw new RangeError(`Invalid shape (${shape.join(', ')})`);
  const count = shape.reduce((product, size) => product * size, 1);
  if (count !== data.length) throw new RangeError(`Shape (${shape.join(', ')}) holds ${count} values, the data has ${data.length}`);

  const header = paddedHeader(`{'descr': '<f4', 'fortran_order': False, 'shape': ${pythonTuple(shape)}, }`);
  if (header.length > 0xffff) throw new RangeError('The .npy 1.0 header cannot describe this many dimensions');
  const bytes = new Uint8Array(PREAMBLE_BYTES + header.length + data.length * 4);
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes.set([1, 0], MAGIC.length);
  view.setUint16(MAGIC.length + 2, header.length, true);
  for (let i = 0; i < header.length; i++) bytes[PREAMBLE_BYTES + i] = header.charCodeAt(i);
  const dataStart = PREAMBLE_BYTES + header.length;
  for (let i = 0; i < data.length; i++) view.setFloat32(dataStart + 4 * i, data[i], true);
  return bytes;
}

/** Python's repr of a tuple: `(5,)` for one element, `()` for none. */
function pythonTuple(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Spaces, then a newline, until the preamble and header together fill a multiple of 64 bytes. */
function paddedHeader(dictionary: string): string {
  const unpadded = PREAMBLE_BYTES + dictionary.length + 1;
  const padding = (HEADER_ALIGNMENT - (unpadded % HEADER_ALIGNMENT)) % HEADER_ALIGNMENT;
  return dictionary + ' '.repeat(padding) + '\n';
}
