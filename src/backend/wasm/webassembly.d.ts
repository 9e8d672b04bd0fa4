// The part of the WebAssembly JavaScript API the wasm backend uses. tsconfig's lib is ES2022
// without DOM, and @types/node does not declare it; engines (Node, browsers) all provide it.
declare namespace WebAssembly {
  const moduleBrand: unique symbol;
  /** A compiled module. */
  interface Module {
    readonly [moduleBrand]: true;
  }
  const Module: { prototype: Module; new (bytes: ArrayBuffer | ArrayBufferView): Module };
  interface Memory {
    /** A SharedArrayBuffer for a shared memory (typed here as ArrayBuffer, which it behaves as). */
    readonly buffer: ArrayBuffer;
  }
  const Memory: {
    prototype: Memory;
    new (descriptor: { initial: number; maximum?: number; shared?: boolean }): Memory;
  };
  interface Global {
    value: number;
  }
  interface Instance {
    readonly exports: Record<string, unknown>;
  }
  function compile(bytes: ArrayBuffer | ArrayBufferView): Promise<Module>;
  function instantiate(module: Module, imports: Record<string, Record<string, unknown>>): Promise<Instance>;
}
