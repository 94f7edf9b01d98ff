/** An image file as a model input: resized to the input's spatial size, laid out NCHW or NHWC, scaled. */
import type { RuntimeTensor } from '../../core/exec/runtimeTensor.js';

export type ImageScaling = 'unit' | 'byte' | 'imagenet';

export const SCALING_LABEL: Record<ImageScaling, string> = {
  unit: 'pixels / 255 → [0, 1]',
  byte: 'pixels as 0…255',
  imagenet: 'ImageNet mean/std normalised',
};

const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** Where the channel axis is for a 4-D image input, or undefined when the shape does not look like one. */
export function imageLayout(shape: number[]): { layout: 'NCHW' | 'NHWC'; c: number; h: number; w: number } | undefined {
  if (shape.length !== 4) return undefined;
  if ([1, 3, 4].includes(shape[1])) return { layout: 'NCHW', c: shape[1], h: shape[2], w: shape[3] };
  if ([1, 3, 4].includes(shape[3])) return { layout: 'NHWC', c: shape[3], h: shape[1], w: shape[2] };
  return undefined;
}

export async function imageToTensor(file: Blob, shape: number[], scaling: ImageScaling): Promise<RuntimeTensor> {
  const lay = imageLayout(shape);
  if (!lay) throw new Error(`An input of shape [${shape.join(', ')}] is not an image (expected [N, C, H, W] or [N, H, W, C] with 1 or 3 channels)`);
  const bmp = await createImageBitmap(file);
  const canvas = new OffscreenCanvas(lay.w, lay.h);
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bmp, 0, 0, lay.w, lay.h);
  const px = ctx.getImageData(0, 0, lay.w, lay.h).data;
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const plane = lay.h * lay.w;
  for (let b = 0; b < shape[0]; b++)
    for (let p = 0; p < plane; p++) {
      const r = px[4 * p], g = px[4 * p + 1], bl = px[4 * p + 2];
      const rgb = [r, g, bl];
      for (let c = 0; c < lay.c; c++) {
        // one channel: luminance
        let v = lay.c === 1 ? 0.299 * r + 0.587 * g + 0.114 * bl : rgb[Math.min(c, 2)];
        if (scaling === 'unit') v /= 255;
        else if (scaling === 'imagenet') v = (v / 255 - MEAN[Math.min(c, 2)]) / STD[Math.min(c, 2)];
        const i = lay.layout === 'NCHW' ? b * lay.c * plane + c * plane + p : (b * plane + p) * lay.c + c;
        out[i] = v;
      }
    }
  return { dataType: 1, shape, data: out };
}

/** Draw a [1, C, H, W] / [1, H, W, C] float tensor (C = 1 or 3) as an image, scaled to its min..max. */
export function tensorToImageData(t: RuntimeTensor): ImageData | undefined {
  const lay = imageLayout(t.shape);
  if (!lay || (lay.c !== 1 && lay.c !== 3) || Array.isArray(t.data)) return undefined;
  const d = t.data as ArrayLike<number>;
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < d.length; i++) {
    const v = Number(d[i]);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // values already in [0, 1] (or [0, 255]) are shown as they are; others are stretched
  const [a, b] = lo >= 0 && hi <= 1 ? [0, 1] : lo >= 0 && hi <= 255 && hi > 1 ? [0, 255] : [lo, hi];
  const img = new ImageData(lay.w, lay.h);
  const plane = lay.h * lay.w;
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const cc = lay.c === 1 ? 0 : c;
      const i = lay.layout === 'NCHW' ? cc * plane + p : p * lay.c + cc;
      img.data[4 * p + c] = Math.max(0, Math.min(255, ((Number(d[i]) - a) / (b - a || 1)) * 255));
    }
    img.data[4 * p + 3] = 255;
  }
  return img;
}
