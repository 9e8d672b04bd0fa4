import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import type { Sequential } from '../nn/sequential.js';
import { upsample } from '../ops/upsample.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Run the layers of `backbone` in order up to the last of `taps` (names of its direct children) and
 * return the outputs of the tapped layers, in the order of `taps` (torchvision's
 * `IntermediateLayerGetter`).
 */
export function tapFeatures(backbone: Sequential, x: Tensor, taps: readonly string[]): Tensor[] {
  const want = new Map(taps.map((t, i) => [t, i]));
  const out: (Tensor | undefined)[] = new Array<Tensor | undefined>(taps.length);
  let found = 0;
  let y = x;
  for (const [name, layer] of backbone.namedChildren()) {
    y = layer.forward(y);
    const i = want.get(name);
    if (i !== undefined) {
      out[i] = y;
      if (++found === taps.length) return out as Tensor[];
    }
  }
  const names = backbone.namedChildren().map(([n]) => n);
  throw new ValueError(
    'tapFeatures',
    `the backbone has no layer named ${taps.filter((t) => !names.includes(t)).join(', ')}; its layers are ${names.join(', ')}`,
  );
}

/**
 * A semantic segmentation network as torchvision composes one: `backbone` (a Sequential whose
 * tapped layers feed the head), `classifier` (the head: one score map per class from the tapped
 * features, in tap order) and optionally `aux_classifier` (torchvision's auxiliary head on an
 * earlier stage, used only by {@link forwardAux}). `forward` returns the class scores
 * [N, numClasses, H, W] bilinearly resized to the input's H x W.
 */
export class SegmentationModel extends Module {
  /** Feature extractor. */
  backbone: Sequential;
  /** The head: score maps from the tapped features. */
  classifier: Module;
  /** The auxiliary head, or null. */
  aux_classifier: Module | null;
  /** Names of the backbone layers whose outputs the head reads. */
  readonly taps: readonly string[];
  /** Name of the backbone layer the auxiliary head reads, or null. */
  readonly auxTap: string | null;

  constructor(
    backbone: Sequential,
    classifier: Module,
    taps: readonly string[],
    aux?: { tap: string; classifier: Module },
  ) {
    super();
    this.backbone = backbone;
    this.classifier = classifier;
    this.aux_classifier = aux?.classifier ?? null;
    this.taps = [...taps];
    this.auxTap = aux?.tap ?? null;
  }

  /** Class scores [N, numClasses, H, W] at the input's resolution. */
  forward(x: Tensor): Tensor {
    const feats = tapFeatures(this.backbone, x, this.taps);
    return this.#resize(this.classifier.forward(...feats), x);
  }

  /** `[out, aux]`: the main and the auxiliary head's scores, both at the input's resolution. */
  forwardAux(x: Tensor): [Tensor, Tensor] {
    if (!this.aux_classifier || this.auxTap === null) {
      throw new ValueError(
        'forwardAux',
        'this model has no auxiliary head. Fix: build it with auxLoss: true',
      );
    }
    const feats = tapFeatures(this.backbone, x, [...this.taps, this.auxTap]);
    const aux = feats.pop()!;
    return [
      this.#resize(this.classifier.forward(...feats), x),
      this.#resize(this.aux_classifier.forward(aux), x),
    ];
  }

  #resize(y: Tensor, x: Tensor): Tensor {
    const h = x.shape[x.ndim - 2]!;
    const w = x.shape[x.ndim - 1]!;
    if (y.shape[y.ndim - 2] === h && y.shape[y.ndim - 1] === w) return y;
    return upsample(y, { size: [h, w], mode: 'bilinear' });
  }
}
