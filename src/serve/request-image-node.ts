import type { FastifyRequest } from 'fastify';
import { HttpError } from './http-error.js';

/** The first file of a multipart upload; a malformed body is the client's mistake (400). */
async function multipartImage(req: FastifyRequest): Promise<Buffer> {
  let bytes: Buffer | undefined;
  try {
    const file = await req.file();
    bytes = await file?.toBuffer();
  } catch (e) {
    const status = (e as { statusCode?: number }).statusCode;
    if (status === 413) throw new HttpError(413, 'the uploaded file is larger than the body limit');
    throw new HttpError(
      400,
      'the multipart body is malformed; send one file field holding a JPEG, PNG or WebP image',
    );
  }
  if (!bytes) throw new HttpError(400, 'the multipart body has no file field');
  return bytes;
}

/**
 * The encoded image of a request to an image route: the body itself (image/jpeg, image/png,
 * image/webp, application/octet-stream) or the file of a multipart/form-data upload. Any other
 * body is a 415.
 */
export async function requestImage(req: FastifyRequest): Promise<Buffer> {
  if (req.isMultipart()) return multipartImage(req);
  if (Buffer.isBuffer(req.body)) return req.body;
  throw new HttpError(415, 'send the image as image/jpeg, image/png, image/webp or multipart/form-data');
}
