# The library of a weight-tied repeat does not grow with the count: tied_ode
# with `repeat 2 tied` and `repeat 100 tied` compile to libraries whose
# sizes differ by less than 5% (the plan loops over one kernel sequence).
#   cmake -DRESC=... -DMODEL=examples/tied_ode.res -DWORK=... -P TiedRepeatSize.cmake
file(REMOVE_RECURSE ${WORK})
file(READ ${MODEL} text)
foreach(count 2 100)
  string(REGEX REPLACE "repeat [0-9]+ tied" "repeat ${count} tied" model
         "${text}")
  if(model STREQUAL text AND NOT text MATCHES "repeat ${count} tied")
    message(FATAL_ERROR "no 'repeat N tied' in ${MODEL}")
  endif()
  file(WRITE ${WORK}/tied${count}.res "${model}")
  execute_process(COMMAND ${RESC} compile ${WORK}/tied${count}.res
                          -o ${WORK}/out${count} --name tied
                  RESULT_VARIABLE rc ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "resc compile (repeat ${count}) failed:\n${err}")
  endif()
  file(SIZE ${WORK}/out${count}/libtied.a size${count})
endforeach()
math(EXPR diff "${size100} - ${size2}")
if(diff LESS 0)
  math(EXPR diff "-(${diff})")
endif()
math(EXPR limit "${size2} / 20")
message(STATUS "repeat 2: ${size2} bytes, repeat 100: ${size100} bytes")
if(diff GREATER limit)
  message(FATAL_ERROR "the libraries differ by ${diff} bytes, more than 5% "
                      "of ${size2}")
endif()
