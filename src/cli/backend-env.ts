/**
 * Takes `STRIDE_BACKEND` out of the environment before the library's Node entry point reads it,
 * so that `stride` can check the value itself and report a bad one in one line (the entry point
 * would throw while being imported, before the CLI could catch anything). `main.ts` imports this
 * module first and hands the value to {@link applyRuntimeOptions}, which puts it back.
 */

/** The backend named by `STRIDE_BACKEND`, or undefined when it is unset or empty. */
export const backendFromEnv: string | undefined = process.env['STRIDE_BACKEND'] || undefined;
delete process.env['STRIDE_BACKEND'];
