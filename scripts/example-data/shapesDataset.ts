// Synthetic "circle / square / triangle" images for the example model: one shape of random colour,
// size, rotation and position on a noisy background, with the shape's bounding box as ground truth
// (Grad-CAM heatmaps can be checked against it).
import { mulberry32, randomBetween, randomInt, type Random } from './prng';

export const SHAPE_CLASSES = ['circle', 'square', 'triangle'] as const;
export type ShapeClass = (typeof SHAPE_CLASSES)[number];

/** Side of the images the model is trained on; scenes are described in these pixel units. */
export const BASE_IMAGE_SIZE = 64;
/** Largest per-channel deviation of the noise added to every pixel. */
export const NOISE_AMPLITUDE = 20;
/** Smallest sum of absolute RGB differences between the shape and the background colour. */
export const MIN_COLOR_CONTRAST = 180;

export type Rgb = [number, number, number];

export interface Point {
  x: number;
  y: number;
}

/** Pixel rectangle, in the rendered image's pixels, that contains every pixel the shape touches. */
export interface BoundingBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type ShapeOutline =
  | { kind: 'circle'; center: Point; radius: number }
  | { kind: 'polygon'; vertices: Point[] };

/** Everything needed to draw one image, independent of the resolution it is rendered at. */
export interface ShapeScene {
  label: ShapeClass;
  backgroundColor: Rgb;
  shapeColor: Rgb;
  /** In base-image pixel units (0..BASE_IMAGE_SIZE). */
  outline: ShapeOutline;
  /** Seeds the per-pixel noise, so the same scene renders the same way every time. */
  noiseSeed: number;
}

export interface ShapeImage {
  width: number;
  height: number;
  /** RGB bytes, row-major, channels last (HWC). */
  pixels: Uint8Array;
  label: ShapeClass;
  labelIndex: number;
  boundingBox: BoundingBox;
  /** The background colour before noise (tests compare pixels against it). */
  backgroundColor: Rgb;
}

// Shapes are sized by the radius of their circumscribed circle; circles are drawn a little smaller
// and triangles a little larger so that the three classes cover similar areas.
const MIN_OUTER_RADIUS = 10;
const MAX_OUTER_RADIUS = 22;
const CIRCLE_RADIUS_FACTOR = 0.85;
const TRIANGLE_RADIUS_FACTOR = 1.15;
/** Keeps the shape this far (base pixels) from the image border. */
const BORDER_MARGIN = 1;
/** Anti-aliasing: each pixel's coverage is estimated from SUPERSAMPLES × SUPERSAMPLES points. */
const SUPERSAMPLES = 4;

export function randomShapeScene(random: Random): ShapeScene {
  const label = SHAPE_CLASSES[randomInt(random, 0, SHAPE_CLASSES.length - 1)];
  const backgroundColor = randomColor(random);
  const shapeColor = randomContrastingColor(random, backgroundColor);
  const outerRadius = randomBetween(random, MIN_OUTER_RADIUS, MAX_OUTER_RADIUS);
  const outlineAtOrigin = outlineCenteredAtOrigin(label, outerRadius, random);
  const extent = outlineBounds(outlineAtOrigin);
  const center = {
    x: randomBetween(random, BORDER_MARGIN - extent.minX, BASE_IMAGE_SIZE - BORDER_MARGIN - extent.maxX),
    y: randomBetween(random, BORDER_MARGIN - extent.minY, BASE_IMAGE_SIZE - BORDER_MARGIN - extent.maxY),
  };
  const noiseSeed = randomInt(random, 0, 0xffffffff);
  return { label, backgroundColor, shapeColor, outline: translateOutline(outlineAtOrigin, center), noiseSeed };
}

/** Draws a scene at `scale` × the base size (scale 2 gives 128×128 images of the same scene). */
export function renderShapeScene(scene: ShapeScene, scale = 1): ShapeImage {
  const size = Math.round(BASE_IMAGE_SIZE * scale);
  const boundingBox = boundingBoxAtScale(scene.outline, scale, size);
  const coverage = shapeCoverage(scene.outline, scale, size, boundingBox);
  const noise = mulberry32(scene.noiseSeed);
  const pixels = new Uint8Array(size * size * 3);
  for (let pixel = 0; pixel < size * size; pixel++) {
    const alpha = coverage[pixel];
    for (let channel = 0; channel < 3; channel++) {
      const blended = scene.backgroundColor[channel] * (1 - alpha) + scene.shapeColor[channel] * alpha;
      const noisy = blended + randomBetween(noise, -NOISE_AMPLITUDE, NOISE_AMPLITUDE);
      pixels[pixel * 3 + channel] = Math.min(255, Math.max(0, Math.round(noisy)));
    }
  }
  return {
    width: size,
    height: size,
    pixels,
    label: scene.label,
    labelIndex: SHAPE_CLASSES.indexOf(scene.label),
    boundingBox,
    backgroundColor: scene.backgroundColor,
  };
}

/** `count` images from one seed: the same seed always gives the same images. */
export function generateShapeImages(count: number, seed: number, scale = 1): ShapeImage[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => renderShapeScene(randomShapeScene(random), scale));
}

function randomColor(random: Random): Rgb {
  return [randomInt(random, 0, 255), randomInt(random, 0, 255), randomInt(random, 0, 255)];
}

/** Rejection sampling: any background has colours far enough away (e.g. its RGB complement). */
function randomContrastingColor(random: Random, background: Rgb): Rgb {
  for (;;) {
    const color = randomColor(random);
    const contrast = color.reduce((sum, value, channel) => sum + Math.abs(value - background[channel]), 0);
    if (contrast >= MIN_COLOR_CONTRAST) {
      return color;
    }
  }
}

function outlineCenteredAtOrigin(label: ShapeClass, outerRadius: number, random: Random): ShapeOutline {
  switch (label) {
    case 'circle':
      return { kind: 'circle', center: { x: 0, y: 0 }, radius: outerRadius * CIRCLE_RADIUS_FACTOR };
    case 'square':
      // A square repeats every quarter turn, a triangle every third of a turn.
      return { kind: 'polygon', vertices: regularPolygon(4, outerRadius, randomBetween(random, 0, Math.PI / 2)) };
    case 'triangle':
      return {
        kind: 'polygon',
        vertices: regularPolygon(3, outerRadius * TRIANGLE_RADIUS_FACTOR, randomBetween(random, 0, (2 * Math.PI) / 3)),
      };
  }
}

function regularPolygon(sides: number, circumradius: number, rotation: number): Point[] {
  return Array.from({ length: sides }, (_, i) => {
    const angle = rotation + (2 * Math.PI * i) / sides;
    return { x: circumradius * Math.cos(angle), y: circumradius * Math.sin(angle) };
  });
}

function translateOutline(outline: ShapeOutline, offset: Point): ShapeOutline {
  if (outline.kind === 'circle') {
    return { ...outline, center: { x: outline.center.x + offset.x, y: outline.center.y + offset.y } };
  }
  return { kind: 'polygon', vertices: outline.vertices.map((v) => ({ x: v.x + offset.x, y: v.y + offset.y })) };
}

function outlineBounds(outline: ShapeOutline): { minX: number; minY: number; maxX: number; maxY: number } {
  if (outline.kind === 'circle') {
    const { center, radius } = outline;
    return { minX: center.x - radius, minY: center.y - radius, maxX: center.x + radius, maxY: center.y + radius };
  }
  const xs = outline.vertices.map((v) => v.x);
  const ys = outline.vertices.map((v) => v.y);
  return { minX: Math.min(...xs), minY: Math.min(...ys), maxX: Math.max(...xs), maxY: Math.max(...ys) };
}

function boundingBoxAtScale(outline: ShapeOutline, scale: number, size: number): BoundingBox {
  const bounds = outlineBounds(outline);
  const x = Math.max(0, Math.floor(bounds.minX * scale));
  const y = Math.max(0, Math.floor(bounds.minY * scale));
  const right = Math.min(size, Math.ceil(bounds.maxX * scale));
  const bottom = Math.min(size, Math.ceil(bounds.maxY * scale));
  return { x, y, width: right - x, height: bottom - y };
}

/** Fraction (0..1) of each pixel covered by the shape; only pixels in the bounding box can be non-zero. */
function shapeCoverage(outline: ShapeOutline, scale: number, size: number, box: BoundingBox): Float32Array {
  const coverage = new Float32Array(size * size);
  const contains = containsPoint(outline);
  for (let py = box.y; py < box.y + box.height; py++) {
    for (let px = box.x; px < box.x + box.width; px++) {
      let inside = 0;
      for (let sy = 0; sy < SUPERSAMPLES; sy++) {
        for (let sx = 0; sx < SUPERSAMPLES; sx++) {
          const x = (px + (sx + 0.5) / SUPERSAMPLES) / scale;
          const y = (py + (sy + 0.5) / SUPERSAMPLES) / scale;
          if (contains(x, y)) {
            inside++;
          }
        }
      }
      coverage[py * size + px] = inside / (SUPERSAMPLES * SUPERSAMPLES);
    }
  }
  return coverage;
}

function containsPoint(outline: ShapeOutline): (x: number, y: number) => boolean {
  if (outline.kind === 'circle') {
    const { center, radius } = outline;
    return (x, y) => (x - center.x) ** 2 + (y - center.y) ** 2 <= radius * radius;
  }
  // Convex polygon: the point is inside when it lies on the same side of every edge.
  const { vertices } = outline;
  return (x, y) => {
    let positive = false;
    let negative = false;
    for (let i = 0; i < vertices.length; i++) {
      const a = vertices[i];
      const b = vertices[(i + 1) % vertices.length];
      const cross = (b.x - a.x) * (y - a.y) - (b.y - a.y) * (x - a.x);
      positive ||= cross > 0;
      negative ||= cross < 0;
    }
    return !(positive && negative);
  };
}
