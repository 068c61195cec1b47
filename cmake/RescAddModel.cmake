# resc_add_model(<target> MODEL <file.res>
#                [WEIGHTS <file.safetensors>] [TARGET_STRING <halide target>]
#                [NAME <c identifier>] [OPT_LEVEL <0-2>] [TRAIN])
#
# Compiles a model with `resc compile` at build time and makes <target> an
# imported static library of it, so that an app does
#   target_link_libraries(app PRIVATE <target>)
# and includes "<name>.h" (NAME defaults to <target>). The library brings
# resc's AOT runtime with it. Like Halide's add_halide_library, the
# compilation reruns when the model, the weights or resc change.
#
# TRAIN compiles the training entries too (`resc compile --train`,
# docs/aot.md "Training libraries").
#
# Several models may be linked into one app: each library carries a Halide
# runtime whose symbols are weak, and the linker keeps one (docs/aot.md).
include_guard(GLOBAL)

function(resc_add_model target)
  cmake_parse_arguments(ARG "TRAIN" "MODEL;WEIGHTS;TARGET_STRING;NAME;OPT_LEVEL"
                        "" ${ARGN})
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "resc_add_model(${target}): MODEL is required")
  endif()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR
            "resc_add_model(${target}): unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_TARGET_STRING)
    set(ARG_TARGET_STRING host)
  endif()

  # In resc's own build the tool and the runtime are targets of the build;
  # through find_package(resc) they are the installed ones; RESC_BUILD_TOOL,
  # when set, names another resc to run.
  # A target name as COMMAND also makes the build order follow it.
  if(RESC_BUILD_TOOL)
    set(resc_exe ${RESC_BUILD_TOOL})
  elseif(TARGET resc::resc)
    set(resc_exe resc::resc)
  elseif(TARGET resc)
    set(resc_exe resc)
  else()
    message(FATAL_ERROR "resc_add_model: no resc executable; use "
                        "find_package(resc) first")
  endif()

  get_filename_component(model ${ARG_MODEL} ABSOLUTE)
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/resc_models/${target})
  # Imported targets need their include directory to exist at generation.
  file(MAKE_DIRECTORY ${dir})
  set(args compile ${model} -o ${dir} --name ${ARG_NAME}
           --target ${ARG_TARGET_STRING})
  set(depends ${model})
  if(ARG_WEIGHTS)
    get_filename_component(weights ${ARG_WEIGHTS} ABSOLUTE)
    list(APPEND args --weights ${weights})
    list(APPEND depends ${weights})
  endif()
  if(ARG_TRAIN)
    list(APPEND args --train)
  endif()
  if(DEFINED ARG_OPT_LEVEL)
    list(APPEND args -O${ARG_OPT_LEVEL})
  endif()
  # In resc's own build, RESC_MODELS_FROM names another build of the same
  # sources whose libraries the same RESC_BUILD_TOOL made: they are copied
  # rather than compiled again (scripts/test.sh's sanitizer build reuses
  # build/'s, identical since an uninstrumented resc makes both).
  file(RELATIVE_PATH rel ${PROJECT_BINARY_DIR} ${dir})
  if(RESC_MODELS_FROM AND TARGET resc AND NOT IS_ABSOLUTE "${rel}")
    set(from ${RESC_MODELS_FROM}/${rel})
    add_custom_command(
      OUTPUT ${dir}/lib${ARG_NAME}.a ${dir}/${ARG_NAME}.h
      COMMAND ${CMAKE_COMMAND} -E copy ${from}/lib${ARG_NAME}.a
              ${from}/${ARG_NAME}.h ${dir}
      DEPENDS ${from}/lib${ARG_NAME}.a ${from}/${ARG_NAME}.h
      COMMENT "resc: model ${ARG_NAME} from ${RESC_MODELS_FROM}"
      VERBATIM)
  else()
    add_custom_command(
      OUTPUT ${dir}/lib${ARG_NAME}.a ${dir}/${ARG_NAME}.h
      COMMAND ${resc_exe} ${args}
      DEPENDS ${depends} ${resc_exe}
      COMMENT "resc: compiling model ${ARG_NAME} (${ARG_TARGET_STRING})"
      VERBATIM)
  endif()
  add_custom_target(${target}.resc_compile
    DEPENDS ${dir}/lib${ARG_NAME}.a ${dir}/${ARG_NAME}.h)

  add_library(${target} STATIC IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION ${dir}/lib${ARG_NAME}.a
    INTERFACE_INCLUDE_DIRECTORIES ${dir}
    INTERFACE_LINK_LIBRARIES resc::aot_runtime)
  add_dependencies(${target} ${target}.resc_compile)
endfunction()
