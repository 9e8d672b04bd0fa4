/**
 * The stable reasons image readers give (inside a `DataFileError` that names the file), so that
 * callers and tests can tell the cases apart without parsing decoder messages.
 */
export const IMAGE_FILE_PROBLEMS = {
  /** The file does not exist. */
  missing: 'no such file',
  /** The bytes are not a JPEG, PNG or WebP image (nor another format sharp reads). */
  notAnImage: 'not an image (expected JPEG, PNG or WebP bytes)',
  /** A JPEG that ends before its end-of-image marker, e.g. an interrupted download. */
  truncatedJpeg: 'truncated JPEG (the file ends before its end-of-image marker)',
  /** The file is an image but its data does not decode. */
  corrupt: 'the image data is corrupt',
  /** The file is empty. */
  empty: 'the file is empty',
} as const;

/** True when `bytes` start with the JPEG start-of-image marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** True when a JPEG lacks its end-of-image marker (FF D9) at the end (trailing zero padding allowed). */
export function jpegLacksEnd(bytes: Uint8Array): boolean {
  let end = bytes.length;
  while (end > 2 && bytes[end - 1] === 0) end--;
  return !(bytes[end - 2] === 0xff && bytes[end - 1] === 0xd9);
}
