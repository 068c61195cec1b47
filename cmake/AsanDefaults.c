/* Linked into every program of a RESC_SANITIZE build. Debian's libMLIR is
 * not instrumented, but the LLVM allocator code inlined into ours is, and it
 * poisons memory that the library then writes: with ASan's user poisoning on,
 * every MLIR string allocation looks invalid. Built into the programs rather
 * than set in the environment so that resc also runs clean when the build
 * itself calls it (the AOT tests compile models at build time). */
const char *__asan_default_options(void) { return "allow_user_poisoning=0"; }
