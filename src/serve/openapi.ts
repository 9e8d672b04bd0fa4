/**
 * The inference server's OpenAPI 3.1 description (`GET /openapi.json`): the Open Inference
 * Protocol routes it implements, the image routes, metrics, and the error body.
 */

const error = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
};

const modelParams = [
  { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'version', in: 'path', required: true, schema: { type: 'string' } },
];

/** Paths under both `/v2/models/{name}` and `/v2/models/{name}/versions/{version}`. */
function both(suffix: string, op: Record<string, unknown>): Record<string, unknown> {
  return {
    [`/v2/models/{name}${suffix}`]: { ...op, parameters: [modelParams[0]] },
    [`/v2/models/{name}/versions/{version}${suffix}`]: { ...op, parameters: modelParams },
  };
}

/** A query parameter holding a probability in [0, 1]. */
function probabilityParameter(name: string): Record<string, unknown> {
  return { name, in: 'query', schema: { type: 'number', minimum: 0, maximum: 1 } };
}

/** The OpenAPI document; `auth` adds the bearer scheme to the model routes. */
export function openApiDocument(auth: boolean): Record<string, unknown> {
  const security = auth ? { security: [{ bearer: [] }] } : {};
  /** A POST image route: the image as the raw body or a multipart field; `answers` by media type. */
  const imagePost = (
    summary: string,
    parameters: readonly unknown[],
    answers: Record<string, string>,
  ): Record<string, unknown> => ({
    post: {
      summary,
      ...security,
      parameters,
      requestBody: {
        content: {
          'image/jpeg': {},
          'image/png': {},
          'image/webp': {},
          'application/octet-stream': {},
          'multipart/form-data': {},
        },
      },
      responses: {
        200: {
          description: Object.values(answers).join('; or '),
          content: Object.fromEntries(Object.keys(answers).map((t) => [t, {}])),
        },
        400: error,
        401: error,
        404: error,
        413: error,
        415: error,
        429: error,
        503: error,
        504: error,
      },
    },
  });
  return {
    openapi: '3.1.0',
    info: { title: 'Stride inference server (Open Inference Protocol v2)', version: '2' },
    paths: {
      '/v2': {
        get: { summary: 'Server metadata', responses: { 200: { description: 'name, version, extensions' } } },
      },
      '/v2/health/live': { get: { summary: 'Liveness', responses: { 200: { description: 'live' } } } },
      '/v2/health/ready': {
        get: {
          summary:
            "Readiness (503 while starting, shutting down, or restarting a model's crashed worker thread)",
          responses: { 200: { description: 'ready' }, 503: error },
        },
      },
      ...both('', {
        get: {
          summary: 'Model metadata',
          ...security,
          responses: { 200: { description: 'name, versions, platform, inputs, outputs' }, 404: error },
        },
      }),
      ...both('/ready', {
        get: {
          summary: 'Model readiness (503 while its crashed worker thread is being restarted)',
          ...security,
          responses: { 200: { description: 'ready' }, 404: error, 503: { description: 'not ready' } },
        },
      }),
      ...both('/infer', {
        post: {
          summary: 'Inference on FP32 tensors',
          ...security,
          requestBody: {
            content: { 'application/json': { schema: { $ref: '#/components/schemas/InferRequest' } } },
          },
          responses: {
            200: {
              description: 'outputs',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/InferResponse' } } },
            },
            400: error,
            401: error,
            404: error,
            413: error,
            429: error,
            503: error,
            504: error,
          },
        },
      }),
      ...both(
        '/classify',
        imagePost(
          'Top-k classes of a JPEG, PNG or WebP image (raw body or multipart field), for a classifier',
          [{ name: 'top_k', in: 'query', schema: { type: 'integer', minimum: 1 } }],
          { 'application/json': '{ model_name, model_version, predictions: [{ label, index, score }] }' },
        ),
      ),
      ...both(
        '/detect',
        imagePost(
          'Objects in an image, for a detector: boxes [x1, y1, x2, y2] in the image pixels, highest score first',
          [probabilityParameter('threshold')],
          {
            'application/json':
              '{ model_name, model_version, width, height, detections: [{ label, score, box }] }',
          },
        ),
      ),
      ...both(
        '/segment',
        imagePost(
          'Class of each pixel, for a segmentation model: a PNG mask at the image size (pixel value = class), or with Accept: application/json the pixels per class',
          [probabilityParameter('threshold')],
          {
            'image/png': '8-bit greyscale PNG, pixel value = class index',
            'application/json': '{ model_name, model_version, width, height, classes, counts }',
          },
        ),
      ),
      ...both(
        '/embed',
        imagePost("The embedding vector of an image, for a model whose task is 'embedding'", [], {
          'application/json': '{ model_name, model_version, embedding: number[] }',
        }),
      ),
      '/metrics': {
        get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text exposition format' } } },
      },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Tensor: {
          type: 'object',
          required: ['name', 'shape', 'datatype', 'data'],
          properties: {
            name: { type: 'string' },
            shape: { type: 'array', items: { type: 'integer' } },
            datatype: { type: 'string', enum: ['FP32'] },
            data: { type: 'array' },
          },
        },
        InferRequest: {
          type: 'object',
          required: ['inputs'],
          properties: {
            id: { type: 'string' },
            inputs: { type: 'array', items: { $ref: '#/components/schemas/Tensor' } },
            outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          },
        },
        InferResponse: {
          type: 'object',
          properties: {
            model_name: { type: 'string' },
            model_version: { type: 'string' },
            id: { type: 'string' },
            outputs: { type: 'array', items: { $ref: '#/components/schemas/Tensor' } },
          },
        },
      },
    },
  };
}
