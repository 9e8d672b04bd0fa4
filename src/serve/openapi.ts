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

/** The OpenAPI document; `auth` adds the bearer scheme to the model routes. */
export function openApiDocument(auth: boolean): Record<string, unknown> {
  const security = auth ? { security: [{ bearer: [] }] } : {};
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
          summary: 'Readiness (503 while starting or shutting down)',
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
          summary: 'Model readiness',
          ...security,
          responses: { 200: { description: 'ready' }, 404: error },
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
      ...both('/classify', {
        post: {
          summary: 'Top-k classes of a JPEG, PNG or WebP image (raw body or multipart field)',
          ...security,
          parameters: [{ name: 'top_k', in: 'query', schema: { type: 'integer', minimum: 1 } }],
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
            200: { description: '{ model_name, model_version, predictions: [{ label, index, score }] }' },
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
      }),
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
