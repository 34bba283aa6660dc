import assert from 'node:assert/strict';
import { encodeNpy } from '../../src/render/npy';

interface ParsedNpy {
  magic: number[];
  version: [number, number];
  header: string;
  dataOffset: number;
}

/** Reads the .npy 1.0 preamble: 6 magic bytes, 2 version bytes, a little-endian uint16 header length. */
function parseNpy(bytes: Uint8Array): ParsedNpy {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint16(8, true);
  return {
    magic: Array.from(bytes.subarray(0, 6)),
    version: [bytes[6], bytes[7]],
    header: new TextDecoder('latin1').decode(bytes.subarray(10, 10 + headerLength)),
    dataOffset: 10 + headerLength,
  };
}

describe('render/npy', () => {
  const shape = [1, 3, 4, 2];
  const data = Float32Array.from({ length: 24 }, (_, i) => (i - 11.5) / 3);
  data[5] = NaN;
  data[6] = -Infinity;
  data[7] = -0;

  it('writes a version 1.0 header numpy can parse', () => {
    const { magic, version, header, dataOffset } = parseNpy(encodeNpy(data, shape));
    assert.deepEqual(magic, [0x93, ...Buffer.from('NUMPY')]);
    assert.deepEqual(version, [1, 0]);
    assert.equal(dataOffset % 64, 0, 'data starts on a 64-byte boundary');
    assert.ok(header.endsWith('\n'));
    assert.match(header, /^\{.*\} *\n$/, 'a dict literal padded with spaces');
    assert.match(header, /'descr': '<f4'/);
    assert.match(header, /'fortran_order': False/);
    assert.match(header, /'shape': \(1, 3, 4, 2\)/);
  });

  it('stores the values as little-endian float32 in order', () => {
    const bytes = encodeNpy(data, shape);
    const { dataOffset } = parseNpy(bytes);
    assert.equal(bytes.length, dataOffset + 24 * 4);
    const view = new DataView(bytes.buffer, bytes.byteOffset + dataOffset);
    for (let i = 0; i < data.length; i++) assert.ok(Object.is(view.getFloat32(4 * i, true), data[i]), `value ${i}`);
  });

  it('writes one-dimensional shapes as Python does', () => {
    assert.match(parseNpy(encodeNpy(new Float32Array(5), [5])).header, /'shape': \(5,\)/);
  });

  it('rejects a shape that does not hold the data', () => {
    assert.throws(() => encodeNpy(data, [1, 3, 4, 3]), RangeError);
    assert.throws(() => encodeNpy(data, [2.5, 9.6]), RangeError);
  });
});
