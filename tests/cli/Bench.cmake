# Tests of `resc bench`, included by CMakeLists.txt (they use its resc_test).
resc_test(help_bench ARGS bench --help
  OUT "Usage: resc bench" "--repeat" "--warmup" "--threads" "--json" "Example")
resc_test(bench_text ARGS bench ${in}/tiny.mlir --repeat 3 --warmup 1
  --threads 1 --batch 2
  OUT "^model tiny: batch 2, 1 thread, [0-9]+ kernels compiled in [0-9.]+ s\n"
      "\nforward pass: median [0-9.]+ ms, min [0-9.]+ ms, max [0-9.]+ ms \\(3 runs after 1 warm-up\\)\n"
      "\nthroughput: [0-9.]+ GFLOP/s \\([0-9.]+ GFLOP per pass\\), [0-9.]+ samples/s\n"
      "\npeak resident memory: [0-9.]+ MiB\n$")
resc_test(bench_dynamic_size ARGS bench ${in}/dynamic_hw.mlir --repeat 1
  RC 1 ERR "^resc: error: input '[a-z_0-9]+' .* has a dynamic dimension 2 that 'resc bench' cannot size")
resc_test(bench_missing_weights ARGS bench ${in}/tiny.mlir --weights nope.safetensors
  RC 1 ERR "^resc: error: .*nope\\.safetensors")
foreach(flag batch repeat threads)
  resc_test(bench_bad_${flag} ARGS bench ${in}/tiny.mlir --${flag} 0 RC 2
    ERR "^resc: error: --${flag}: must be an integer of at least 1, got '0'")
endforeach()
resc_test(bench_bad_warmup ARGS bench ${in}/tiny.mlir --warmup -1 RC 2
  ERR "^resc: error: --warmup: must be an integer of at least 0, got '-1'")
resc_test(bench_not_a_number ARGS bench ${in}/tiny.mlir --repeat many RC 2
  ERR "^resc: error: --repeat: must be an integer of at least 1, got 'many'")

add_test(NAME resc.bench_json
  COMMAND ${CMAKE_COMMAND} -DRESC=$<TARGET_FILE:resc> -DMODEL=${in}/tiny.mlir
          -DWORKDIR=${RESC_CLI_WORK} -P ${CMAKE_CURRENT_SOURCE_DIR}/BenchJson.cmake)
