# The training demo end to end, as its README runs it: install this build
# into a scratch prefix, build examples/train_digits against it with
# find_package(resc) (which compiles digits.res with `resc compile
# --train`), train the demo's default 20 epochs, check the held-out
# accuracy it reports, then classify the test images it wrote with
# `resc run` on the weights it saved.
#   cmake -DBUILD=... -DAPP=... -DRESC=... -DWORK=... -DGENERATOR=...
#         -P TrainDigitsApp.cmake
file(REMOVE_RECURSE ${WORK})
file(MAKE_DIRECTORY ${WORK}/run)
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err WORKING_DIRECTORY ${WORK}/run)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

step("install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix)
step("configure" ${CMAKE_COMMAND} -S ${APP} -B ${WORK}/app -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release)
step("build" ${CMAKE_COMMAND} --build ${WORK}/app)

step("train" ${WORK}/app/train_digits --out ${WORK}/run/digits.safetensors)
message(STATUS "${out}")
string(REGEX MATCH "test accuracy ([0-9.]+)% \\(" _ "${out}")
if(NOT CMAKE_MATCH_1 OR CMAKE_MATCH_1 LESS 97)
  message(FATAL_ERROR "the demo must reach 97% on the held-out fifth, "
                      "got '${CMAKE_MATCH_1}'")
endif()
if(NOT out MATCHES "labels: ([0-9 ]+)\n")
  message(FATAL_ERROR "the demo printed no labels of its sample images")
endif()
string(REPLACE " " ";" labels "${CMAKE_MATCH_1}")

step("resc run" ${RESC} run ${APP}/digits.res
     --weights ${WORK}/run/digits.safetensors
     --input image=${WORK}/run/digits_test_images.npy)
if(NOT out MATCHES "argmax: ([0-9 ]+)\n")
  message(FATAL_ERROR "resc run printed no argmax:\n${out}")
endif()
string(REPLACE " " ";" predicted "${CMAKE_MATCH_1}")
list(LENGTH labels n)
list(LENGTH predicted m)
if(NOT n EQUAL 8 OR NOT m EQUAL 8)
  message(FATAL_ERROR "expected 8 labels and 8 predictions: '${labels}', "
                      "'${predicted}'")
endif()
# At 97% or more, at most one of the 8 sample images may be misclassified.
set(wrong 0)
foreach(i RANGE 7)
  list(GET labels ${i} l)
  list(GET predicted ${i} p)
  if(NOT l EQUAL p)
    math(EXPR wrong "${wrong} + 1")
  endif()
endforeach()
if(wrong GREATER 1)
  message(FATAL_ERROR "resc run on the saved weights misclassifies ${wrong} "
                      "of 8: labels ${labels}, argmax ${predicted}")
endif()
