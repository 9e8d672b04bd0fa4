// The parts of ConvNetJS (npm convnetjs, no types of its own) that the benchmark page uses.
declare module 'convnetjs' {
  const convnetjs: {
    Net: new () => { makeLayers(defs: object[]): void };
    Vol: new (sx: number, sy: number, depth: number, fill: number) => { w: Float64Array };
    Trainer: new (net: object, opts: object) => { train(x: object, label: number): unknown };
  };
  export default convnetjs;
}
