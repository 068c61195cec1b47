# The find_package(resc) route end to end: install this build into a
# scratch prefix, configure and build examples/classify_app against it as
# an outside project would, and run it.
#   cmake -DBUILD=... -DAPP=... -DWORK=... -DGENERATOR=... -P ExternalApp.cmake
file(REMOVE_RECURSE ${WORK})
function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()
step("install" ${CMAKE_COMMAND} --install ${BUILD} --prefix ${WORK}/prefix)
step("configure" ${CMAKE_COMMAND} -S ${APP} -B ${WORK}/app -G ${GENERATOR}
     -DCMAKE_PREFIX_PATH=${WORK}/prefix -DCMAKE_BUILD_TYPE=Release)
step("build" ${CMAKE_COMMAND} --build ${WORK}/app)
step("run" ${WORK}/app/classify 4 2)
message(STATUS "${out}")
if(NOT out MATCHES "image 3: class [0-9]+" OR NOT out MATCHES "latency: ")
  message(FATAL_ERROR "unexpected output:\n${out}")
endif()
