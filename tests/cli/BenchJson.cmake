# Checks `resc bench --json`: the output is one JSON object whose timing keys
# are numbers with min <= median <= max, whose batch and threads echo the
# flags, and whose FLOPs per pass are twice the multiply-adds `resc info`
# counts at that batch. Set by the test: RESC, MODEL, WORKDIR.
set(batch 2)
execute_process(
  COMMAND ${RESC} bench ${MODEL} --json --batch ${batch} --threads 1
          --repeat 3 --warmup 1
  WORKING_DIRECTORY ${WORKDIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "resc bench --json failed (${rc}):\n${err}")
endif()
foreach(key median_ms min_ms max_ms gflops gflop_per_pass flop_per_pass batch
            threads
            repeat warmup peak_rss_mib)
  string(JSON type ERROR_VARIABLE jsonError TYPE "${out}" ${key})
  if(jsonError OR NOT type STREQUAL "NUMBER")
    message(FATAL_ERROR "key '${key}' is not a number (${jsonError}):\n${out}")
  endif()
  string(JSON ${key} GET "${out}" ${key})
endforeach()
if(NOT batch EQUAL 2 OR NOT threads EQUAL 1 OR NOT repeat EQUAL 3)
  message(FATAL_ERROR "batch/threads/repeat not echoed:\n${out}")
endif()
foreach(name min_ms median_ms max_ms)
  string(REGEX MATCH "^[0-9]+\\.[0-9]+$" ok "${${name}}")
  if(NOT ok)
    message(FATAL_ERROR "${name} = '${${name}}' is not a decimal:\n${out}")
  endif()
  # Microseconds as integers, so CMake can compare them. REGEX REPLACE would
  # strip "0" repeatedly ("0305" to "35"), so the leading zeros go by MATCH.
  string(REGEX REPLACE "^([0-9]+)\\.([0-9][0-9][0-9]).*" "\\1\\2" digits
         "${${name}}000")
  string(REGEX MATCH "^0*([0-9]+)$" ok "${digits}")
  set(us_${name} "${CMAKE_MATCH_1}")
endforeach()
if(us_min_ms GREATER us_median_ms OR us_median_ms GREATER us_max_ms)
  message(FATAL_ERROR "not min <= median <= max:\n${out}")
endif()

execute_process(COMMAND ${RESC} info ${MODEL} --batch ${batch}
  OUTPUT_VARIABLE info RESULT_VARIABLE rc)
string(REGEX MATCH "multiply-adds +[0-9.]+ G at batch ${batch} \\(([0-9,]+)"
       found "${info}")
if(NOT found)
  message(FATAL_ERROR "no multiply-adds in resc info:\n${info}")
endif()
string(REPLACE "," "" macs "${CMAKE_MATCH_1}")
math(EXPR expected "2 * ${macs}")
if(NOT flop_per_pass EQUAL expected)
  message(FATAL_ERROR "flop_per_pass ${flop_per_pass} is not 2 x ${macs} "
                      "multiply-adds:\n${out}")
endif()

# With --profile, "layers" lists the forward pass's kernels: a layer name, a
# kernel key, its calls (per timed pass: one, or one per iteration of a
# weight-tied repeat), time and GFLOP.
execute_process(
  COMMAND ${RESC} bench ${MODEL} --json --profile --batch 1 --threads 1
          --repeat 2 --warmup 1
  WORKING_DIRECTORY ${WORKDIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "resc bench --json --profile failed (${rc}):\n${err}")
endif()
string(JSON count ERROR_VARIABLE jsonError LENGTH "${out}" layers)
if(jsonError OR count LESS 1)
  message(FATAL_ERROR "no 'layers' array (${jsonError}):\n${out}")
endif()
set(convFlops "")
math(EXPR last "${count} - 1")
foreach(i RANGE ${last})
  foreach(key layer kernel calls ms gflop)
    string(JSON value ERROR_VARIABLE jsonError GET "${out}" layers ${i} ${key})
    if(jsonError)
      message(FATAL_ERROR "layers[${i}] has no '${key}':\n${out}")
    endif()
    set(${key} "${value}")
  endforeach()
  # Once per pass, or once per iteration of a weight-tied repeat.
  math(EXPR perPass "${calls} % 2")
  if(calls LESS 2 OR NOT perPass EQUAL 0)
    message(FATAL_ERROR "layers[${i}] ran ${calls} times in 2 passes:\n${out}")
  endif()
  if(kernel MATCHES ":conv:" AND gflop MATCHES "^0*\\.?0*[1-9]")
    set(convFlops "${gflop}")
  endif()
endforeach()
if(convFlops STREQUAL "")
  message(FATAL_ERROR "no conv layer with FLOPs in the profile:\n${out}")
endif()
