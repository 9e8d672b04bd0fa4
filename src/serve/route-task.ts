import { HttpError } from './http-error.js';
import type { ServedModel } from './served-model.js';

/** The image routes of a served module and the task each answers. */
export type ImageRoute = 'classify' | 'segment' | 'embed';

const TASK_ROUTE: Readonly<Record<string, ImageRoute | 'detect'>> = {
  classification: 'classify',
  segmentation: 'segment',
  embedding: 'embed',
  detection: 'detect',
};

/** Output rank each image route needs per sample: one score per class, K score maps, one vector. */
const OUTPUT_RANK: Readonly<Record<ImageRoute, number>> = { classify: 1, segment: 3, embed: 1 };

const WHAT: Readonly<Record<ImageRoute, string>> = {
  classify: 'a classifier (one score per class)',
  segment: 'a segmentation model (score maps [K, H, W])',
  embed: "an embedder (model.task 'embedding', one vector)",
};

/**
 * Refuse (400) an image route for a model of another kind: a model whose task is known answers only
 * its own route, and the output must have the route's shape. `/embed` needs the task 'embedding'
 * (a vector of scores cannot be told from an embedding by its shape). The message names the route
 * that fits, when one does.
 */
export function checkImageRoute(model: ServedModel, route: ImageRoute): void {
  const own = model.task === null ? undefined : TASK_ROUTE[model.task];
  const fits =
    (own === undefined ? route !== 'embed' : own === route) &&
    model.outputShape.length === OUTPUT_RANK[route];
  if (fits) return;
  const hint =
    own && own !== route && own !== 'detect' ? `; POST the image to /v2/models/${model.name}/${own}` : '';
  const task = model.task === null ? '' : ` a ${model.task} model,`;
  throw new HttpError(
    400,
    `model '${model.name}' is${task} not ${WHAT[route]} (its output is [${model.outputShape.join(', ')}])${hint}`,
  );
}
