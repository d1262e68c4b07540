/**
 * Bindings to the C library through Deno FFI, opened on first use.
 *
 * @module
 */

const SYMBOLS = {
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  flock: { parameters: ["i32", "i32"], result: "i32" },
  ioctl: { parameters: ["i32", "u64", "buffer"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  poll: {
    parameters: ["buffer", "u64", "i32"],
    result: "i32",
    nonblocking: true,
  },
  tcflush: { parameters: ["i32", "i32"], result: "i32" },
  tcdrain: { parameters: ["i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
  adjtimex: { parameters: ["buffer"], result: "i32" },
  mallopt: { parameters: ["i32", "i32"], result: "i32" },
  umask: { parameters: ["u32"], result: "u32" },
  socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
  bind: { parameters: ["i32", "buffer", "u32"], result: "i32" },
  sendto: {
    parameters: ["i32", "buffer", "usize", "i32", "buffer", "u32"],
    result: "isize",
  },
} as const satisfies Deno.ForeignLibraryInterface;

let library: Deno.DynamicLibrary<typeof SYMBOLS> | undefined;

/** The libc symbols auki-edge uses. */
export function libc(): Deno.DynamicLibrary<typeof SYMBOLS>["symbols"] {
  library ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return library.symbols;
}

/** The calling thread's `errno`; read it right after a failed synchronous call. */
export function errno(): number {
  const location = libc().__errno_location();
  return location === null
    ? 0
    : new Deno.UnsafePointerView(location).getInt32();
}

/** A NUL-terminated UTF-8 copy of `text`, for `const char *` parameters. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${text}\0`);
}
