# `cmake --install`: resc and res-opt, the runtime libraries and headers,
# and the package config that find_package(resc) loads (rescConfig.cmake
# with resc_add_model). Included last from the top-level CMakeLists.txt.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set_target_properties(resc_runtime PROPERTIES EXPORT_NAME runtime)
set_target_properties(resc_aot_runtime PROPERTIES EXPORT_NAME aot_runtime)
set_target_properties(resc_format PROPERTIES EXPORT_NAME format)
set_target_properties(resc_executor PROPERTIES EXPORT_NAME executor)

# The tools link LLVM 19's and Halide's shared libraries from outside the
# default search path; keep those directories in the installed RPATH.
set_target_properties(resc res-opt PROPERTIES
                      INSTALL_RPATH_USE_LINK_PATH TRUE)
install(TARGETS resc res-opt EXPORT rescTargets
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# resc_format's and resc_executor's headers are internal to resc; the
# archives are installed because resc_aot_runtime, a static library, needs
# them at an app's link.
install(TARGETS resc_runtime resc_aot_runtime resc_executor resc_format
        EXPORT rescTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/resc
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(RESC_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/resc)
install(EXPORT rescTargets NAMESPACE resc:: DESTINATION ${RESC_CMAKE_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/rescConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/rescConfig.cmake
  INSTALL_DESTINATION ${RESC_CMAKE_DIR})
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/rescConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/rescConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/rescConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/RescAddModel.cmake
        DESTINATION ${RESC_CMAKE_DIR})
