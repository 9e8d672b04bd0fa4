// A counter of the changes to layers that decide how containers run in fused inference: the plan
// of a Graph (inference-fusion.ts), the conv -> batch norm -> activation chains of a Sequential,
// and which layers keep no reference to what they see (inference-liveness.ts). Every such change
// goes through code that bumps it: a layer's training mode set (`train`/`eval` or the `training`
// property), a forward hook or pre-hook added or removed, a child module, parameter or buffer
// registered or replaced, a Sequential's or Graph's layers or wiring changed, a Conv2d's or Add's
// fused `activation` set. Containers keep what they worked out together with the epoch and work it
// out again only when the epoch moved, instead of re-reading every layer's state on every forward.
// Weight values are not part of it: convolutions compare their weights' `version` on every call.

let epoch = 0;

/** The current epoch (changes whenever any layer's fusion-relevant state may have changed). */
export function layerStateEpoch(): number {
  return epoch;
}

/** Record that some layer's mode, hooks, children, buffers or fused activation changed. */
export function bumpLayerStateEpoch(): void {
  epoch++;
}
