/**
 * Errors across the worker boundary. Comlink copies only an error's name,
 * message and stack, so a `VanishError` would arrive as a plain Error without
 * its code. This replaces Comlink's "throw" handler on both sides: a
 * VanishError crosses with its code and is rebuilt as a VanishError, so the
 * page can tell a bad photo (its message is for the user) from a failure.
 * Import this module once in the page and once in the worker.
 */
import * as Comlink from "comlink";
import { VanishError, type VanishErrorCode } from "../../src/index.js";

interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: VanishErrorCode;
}

const standard = Comlink.transferHandlers.get("throw") as Comlink.TransferHandler<unknown, unknown>;

Comlink.transferHandlers.set("throw", {
  canHandle: standard.canHandle,
  serialize(thrown: unknown): [unknown, Transferable[]] {
    const value = (thrown as { value: unknown }).value;
    if (value instanceof Error) {
      const error: SerializedError = { name: value.name, message: value.message, stack: value.stack };
      if (value instanceof VanishError) error.code = value.code;
      return [{ isError: true, value: error }, []];
    }
    return [{ isError: false, value }, []];
  },
  deserialize(serialized: unknown): never {
    const { isError, value } = serialized as { isError: boolean; value: unknown };
    if (!isError) throw value;
    const e = value as SerializedError;
    const error = e.code ? new VanishError(e.code, e.message) : Object.assign(new Error(e.message), { name: e.name });
    if (e.stack) error.stack = e.stack;
    throw error;
  },
} satisfies Comlink.TransferHandler<unknown, unknown>);
