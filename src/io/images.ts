/**
 * Probe images from disk: PNG and JPEG decoded in pure JS (pngjs, jpeg-js) to RGBA8, within a bound.
 *
 * A compressed image can declare any size: a 74-byte PNG can claim 30000×30000 pixels (3.6 GB of
 * RGBA), a 2.5 KB JPEG 9999×9999. So the dimensions are read from the header first (PNG IHDR, JPEG
 * SOFn) and images beyond MAX_IMAGE_PIXELS are refused before any pixel is decoded. Interlaced PNGs
 * are the one case pngjs inflates without a length cap, so their compressed data is test-inflated
 * with a cap first.
 */
import { inflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { readRegularFile } from './files';

/**
 * Largest image decoded, in pixels (documented in README.md, "Command line"): 25 megapixels, more
 * than a 6000×4000 camera frame; probes are resized to the model's input (e.g. 224×224) anyway.
 * Decoding one such image peaks near 12 bytes per pixel (see JPEG_BYTES_PER_PIXEL).
 */
export const MAX_IMAGE_PIXELS = 25_000_000;
/** jpeg-js's own accounting of a full-colour decode (coefficients, planes, RGBA output), measured: about 11.5 bytes per pixel. */
const JPEG_BYTES_PER_PIXEL = 24;
/** Largest image file read; no PNG or JPEG of MAX_IMAGE_PIXELS needs more. */
export const MAX_IMAGE_FILE_BYTES = 256 * 2 ** 20;

export class ImageFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImageFileError';
  }
}

export interface ImageHeader {
  readonly format: 'png' | 'jpeg';
  readonly width: number;
  readonly height: number;
}

export interface DecodedImage {
  /** RGBA8, row-major. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b);
}

function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

function be16(bytes: Uint8Array, at: number): number {
  return (bytes[at] << 8) | bytes[at + 1];
}

function be32(bytes: Uint8Array, at: number): number {
  return ((bytes[at] << 24) >>> 0) + (bytes[at + 1] << 16) + (bytes[at + 2] << 8) + bytes[at + 3];
}

/** IHDR is the first chunk of every PNG: width and height at bytes 16..23. */
function pngHeader(bytes: Uint8Array): ImageHeader {
  const ascii = String.fromCharCode(...bytes.subarray(12, 16));
  if (bytes.length < 33 || ascii !== 'IHDR') throw new ImageFileError('truncated PNG: no IHDR header');
  return { format: 'png', width: be32(bytes, 16), height: be32(bytes, 20) };
}

/** SOFn markers (baseline, progressive, lossless, arithmetic): C0–CF except DHT C4, JPG C8, DAC CC. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

/** Walks the marker segments up to the first SOFn, which holds the frame's height and width. */
function jpegHeader(bytes: Uint8Array): ImageHeader {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new ImageFileError(`corrupt JPEG: no marker at byte ${at}`);
    const marker = bytes[at + 1];
    // Fill bytes and markers without a length.
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    const length = be16(bytes, at + 2);
    if (length < 2) throw new ImageFileError(`corrupt JPEG: segment of length ${length} at byte ${at}`);
    if (isStartOfFrame(marker)) {
      if (at + 9 > bytes.length) break;
      return { format: 'jpeg', height: be16(bytes, at + 5), width: be16(bytes, at + 7) };
    }
    if (marker === 0xda || marker === 0xd9) throw new ImageFileError('corrupt JPEG: image data before any frame header (SOF)');
    at += 2 + length;
  }
  throw new ImageFileError('truncated JPEG: no frame header (SOF)');
}

/** Format and declared size, from the first bytes only. */
export function readImageHeader(bytes: Uint8Array): ImageHeader {
  if (isPng(bytes)) return pngHeader(bytes);
  if (isJpeg(bytes)) return jpegHeader(bytes);
  throw new ImageFileError('neither a PNG nor a JPEG (unknown signature)');
}

function checkSize(header: ImageHeader): void {
  const { width, height } = header;
  if (width === 0 || height === 0) throw new ImageFileError(`declares an empty image (${width}x${height})`);
  const pixels = width * height;
  if (pixels > MAX_IMAGE_PIXELS) {
    throw new ImageFileError(
      `declares ${width}x${height} pixels (${(pixels / 1e6).toFixed(0)} MP), beyond the ${MAX_IMAGE_PIXELS / 1e6} MP limit; not decoded. Downscale it first`,
    );
  }
}

/** Bytes of Adam7-interlaced scanlines: at most the plain image plus a filter byte and a partial byte per row and pass. */
function interlacedBound(bytes: Uint8Array, header: ImageHeader): number {
  const depth = bytes[24];
  const colorType = bytes[25];
  const samples = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colorType] ?? 4;
  const rowBytes = Math.ceil((header.width * samples * depth) / 8);
  return (rowBytes + 1) * header.height + 14 * header.height + 64;
}

/** pngjs inflates interlaced data without a cap; inflate it once with the cap to refuse a zlib bomb. */
function checkInterlacedPng(bytes: Uint8Array, header: ImageHeader): void {
  if (bytes[28] !== 1) return;
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = be32(bytes, at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (type === 'IDAT') parts.push(bytes.subarray(at + 8, Math.min(bytes.length, at + 8 + length)));
    if (type === 'IEND') break;
    at += 12 + length;
  }
  try {
    inflateSync(Buffer.concat(parts), { maxOutputLength: interlacedBound(bytes, header) });
  } catch (err) {
    if (err instanceof RangeError) throw new ImageFileError('its compressed data inflates beyond what its declared size allows (a decompression bomb?); not decoded');
    // Other zlib errors are reported by the decoder itself below.
  }
}

/**
 * Decodes a PNG or JPEG file to RGBA8 after checking that it is a regular file within
 * MAX_IMAGE_FILE_BYTES and declares at most MAX_IMAGE_PIXELS. Throws InputFileError (the file) or
 * ImageFileError (the content).
 */
export function decodeImageFile(path: string): DecodedImage {
  const bytes = readRegularFile(path, { maxBytes: MAX_IMAGE_FILE_BYTES, what: 'a PNG or JPEG image' });
  const header = readImageHeader(bytes);
  checkSize(header);
  if (header.format === 'png') {
    checkInterlacedPng(bytes, header);
    const png = PNG.sync.read(bytes as Buffer);
    return { data: png.data, width: png.width, height: png.height };
  }
  const maxResolutionInMP = MAX_IMAGE_PIXELS / 1e6;
  const maxMemoryUsageInMB = Math.ceil((MAX_IMAGE_PIXELS * JPEG_BYTES_PER_PIXEL) / 2 ** 20);
  const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP, maxMemoryUsageInMB });
  return { data: img.data, width: img.width, height: img.height };
}
