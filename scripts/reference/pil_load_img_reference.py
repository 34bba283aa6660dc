#!/usr/bin/python3
"""Reference pixels for Convscope's image input, made by Pillow as Keras' load_img makes them.

Writes into test/fixtures/pil-reference/ (or the folder given as the first argument):
  - the source images, generated here deterministically (PNG RGB, RGBA, L, LA, palette with
    transparency, a tiny RGB to upscale, one with a non-sRGB colour profile, JPEGs, a JPEG with
    EXIF orientation 6);
  - for each case, the array `img_to_array(load_img(source, color_mode, target_size))` as uint8
    (img_to_array's float32 holds whole numbers 0-255), as gzip-compressed .npy;
  - cases.json, naming each case;
  - grid.json: for size pairs, the source column Pillow's NEAREST resize reads for each output column.

Keras' load_img (keras/src/utils/image_utils.py) is: Image.open; color_mode "grayscale":
convert("L") unless the mode is L, I;16 or I; "rgb": convert("RGB") unless the mode is RGB; then,
when the size differs, img.resize((width, height), Image.NEAREST). No EXIF orientation. That is
`keras_load_img` below; when Keras is importable, its load_img is compared with it on every case.
Cases with exif "apply" add ImageOps.exif_transpose before the conversion (Convscope's default).

Runs with Debian's /usr/bin/python3 and python3-pil, python3-numpy. Output is byte-for-byte
reproducible for one Pillow and libjpeg version.
"""
import gzip
import io
import json
import os
import sys

import numpy as np
from PIL import Image, ImageCms, ImageOps

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', '..', 'test', 'fixtures', 'pil-reference')


def keras_load_img(path, color_mode, target_size, exif):
    """keras.utils.load_img(path, color_mode=..., target_size=(h, w), interpolation="nearest")."""
    with open(path, 'rb') as f:
        img = Image.open(io.BytesIO(f.read()))
    if exif == 'apply':
        img = ImageOps.exif_transpose(img)
    if color_mode == 'grayscale':
        if img.mode not in ('L', 'I;16', 'I'):
            img = img.convert('L')
    elif img.mode != 'RGB':
        img = img.convert('RGB')
    width_height = (target_size[1], target_size[0])
    if img.size != width_height:
        img = img.resize(width_height, Image.NEAREST)
    return img


def img_to_array(img):
    array = np.asarray(img, dtype=np.float32)
    return array[:, :, None] if array.ndim == 2 else array


def pattern(rng, height, width, channels):
    """Smooth ramps plus noise: every pixel differs from its neighbours, so a wrong grid shows."""
    y, x = np.mgrid[0:height, 0:width]
    planes = [(x * 255 / max(width - 1, 1)), (y * 255 / max(height - 1, 1)), ((x + y) * 127 / max(width + height - 2, 1))]
    base = np.stack([planes[c % 3] for c in range(channels)], axis=-1)
    noise = rng.integers(-16, 17, size=(height, width, channels))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def write_sources(out):
    rng = np.random.default_rng(20240613)
    sources = {}

    def save(name, img, **params):
        img.save(os.path.join(out, name), **params)
        sources[name] = img.size

    save('rgb-97x61.png', Image.fromarray(pattern(rng, 61, 97, 3), 'RGB'))
    rgba = pattern(rng, 48, 64, 4)
    rgba[::7, :, 3] = 0  # fully transparent rows keep their colour: alpha is dropped, not composited
    save('rgba-64x48.png', Image.fromarray(rgba, 'RGBA'))
    save('gray-53x41.png', Image.fromarray(pattern(rng, 41, 53, 1)[:, :, 0], 'L'))
    save('gray-alpha-37x29.png', Image.fromarray(pattern(rng, 29, 37, 2), 'LA'))
    palette = Image.fromarray(rng.integers(0, 50, size=(33, 45), dtype=np.uint8), 'P')
    palette.putpalette(rng.integers(0, 256, size=50 * 3, dtype=np.uint8).tobytes())
    save('palette-45x33.png', palette, transparency=3)
    save('tiny-7x5.png', Image.fromarray(pattern(rng, 5, 7, 3), 'RGB'))
    # A colour profile far from sRGB: Keras ignores it, so must Convscope.
    xyz = ImageCms.ImageCmsProfile(ImageCms.createProfile('XYZ')).tobytes()
    save('xyz-profile-40x30.png', Image.fromarray(pattern(rng, 30, 40, 3), 'RGB'), icc_profile=xyz)
    save('photo-211x143.jpg', Image.fromarray(pattern(rng, 143, 211, 3), 'RGB'), quality=90)
    save('gray-67x45.jpg', Image.fromarray(pattern(rng, 45, 67, 1)[:, :, 0], 'L'), quality=90)
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    stored = pattern(rng, 60, 90, 3)
    stored[:12, :20] = (255, 0, 0)  # a red corner, so a rotation is visible
    save('exif6-90x60.jpg', Image.fromarray(stored, 'RGB'), quality=95, exif=exif.tobytes())
    return sources


# (source, targets (height, width)); each target in both color modes.
CASES = [
    ('rgb-97x61.png', [(150, 150), (23, 31), (64, 64)]),
    ('rgba-64x48.png', [(30, 45), (100, 70)]),
    ('gray-53x41.png', [(150, 150), (17, 29)]),
    ('gray-alpha-37x29.png', [(20, 20), (41, 53)]),
    ('palette-45x33.png', [(32, 32), (64, 90)]),
    ('tiny-7x5.png', [(150, 150), (64, 64)]),
    ('xyz-profile-40x30.png', [(30, 40), (16, 16)]),
    ('photo-211x143.jpg', [(70, 110), (37, 53)]),
    ('gray-67x45.jpg', [(32, 48), (90, 120)]),
    ('exif6-90x60.jpg', [(40, 30), (50, 50)]),
]


def save_npy_gz(path, array):
    buffer = io.BytesIO()
    np.save(buffer, array)
    with open(path, 'wb') as f:
        # mtime 0: the same bytes on every run
        with gzip.GzipFile(fileobj=f, mode='wb', mtime=0, filename='') as gz:
            gz.write(buffer.getvalue())


def pil_grid(in_size, out_size):
    """The source column Pillow's NEAREST resize reads for each output column (mode I holds the index)."""
    row = Image.fromarray(np.arange(in_size, dtype=np.int32)[None, :], 'I')
    return [int(v) for v in np.asarray(row.resize((out_size, 1), Image.NEAREST))[0]]


def direct_grid(in_size, out_size):
    scale = in_size / out_size
    return [int(scale * (i + 0.5)) for i in range(out_size)]


def write_grid(out):
    pairs = [(1024, 150), (618, 150), (2048, 64), (1152, 64), (7, 150), (5, 150), (333, 64), (17, 64), (150, 150),
             (2, 7), (4, 6), (5, 3), (3, 5), (1, 4), (4, 1)]
    # Pairs where Pillow's accumulated position and the direct product scale * (i + 0.5) disagree,
    # and as many where they agree: a grid test must tell the two apart.
    rng = np.random.default_rng(7)
    differ, agree = [], []
    while len(differ) < 30 or len(agree) < 10:
        in_size, out_size = int(rng.integers(1, 3000)), int(rng.integers(1, 150))
        same = pil_grid(in_size, out_size) == direct_grid(in_size, out_size)
        (agree if same else differ).append((in_size, out_size))
    pairs += differ[:30] + agree[:10]
    grid = [{'in': i, 'out': o, 'indices': pil_grid(i, o)} for i, o in pairs]
    with open(os.path.join(out, 'grid.json'), 'w') as f:
        json.dump({'pillow': Image.__version__, 'pairs': grid}, f, separators=(',', ':'))
        f.write('\n')


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT)
    os.makedirs(out, exist_ok=True)
    write_sources(out)
    try:
        from keras.utils import load_img as real_load_img
    except ImportError:
        real_load_img = None
    cases = []
    for source, targets in CASES:
        path = os.path.join(out, source)
        has_exif = Image.open(path).getexif().get(0x0112, 1) != 1
        for height, width in targets:
            for color_mode, channels in (('rgb', 3), ('grayscale', 1)):
                for exif in (('apply', 'ignore') if has_exif else ('ignore',)):
                    array = img_to_array(keras_load_img(path, color_mode, (height, width), exif))
                    if real_load_img is not None and exif == 'ignore':
                        keras_array = img_to_array(real_load_img(path, color_mode=color_mode, target_size=(height, width)))
                        assert np.array_equal(array, keras_array), f'{source}: keras.utils.load_img disagrees'
                    assert array.shape == (height, width, channels) and array.min() >= 0 and array.max() <= 255
                    name = f'{os.path.splitext(source)[0]}-{height}x{width}-c{channels}' + ('-exif' if exif == 'apply' else '') + '.npy.gz'
                    save_npy_gz(os.path.join(out, name), array.astype(np.uint8))
                    cases.append({'source': source, 'height': height, 'width': width, 'channels': channels, 'exif': exif, 'expected': name})
    write_grid(out)
    with open(os.path.join(out, 'cases.json'), 'w') as f:
        json.dump({'pillow': Image.__version__, 'kerasChecked': real_load_img is not None, 'cases': cases}, f, indent=1)
        f.write('\n')
    total = sum(os.path.getsize(os.path.join(out, name)) for name in os.listdir(out))
    print(f'{len(cases)} cases, {len(os.listdir(out))} files, {total / 1024:.0f} KiB in {out}')


if __name__ == '__main__':
    main()
