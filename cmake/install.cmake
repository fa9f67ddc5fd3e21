# `cmake --install`: the public headers, one library per layer (exported as glassbox::<layer>,
# with glassbox::glassbox for all of it), a CMake package (find_package(glassbox CONFIG)), a
# pkg-config file, and the glassbox program (apps/glassbox). `cpack` turns the same into a .deb.
# Components: dev (headers, archives, CMake and pkg-config files), runtime (shared libraries when
# BUILD_SHARED_LIBS), cli (bin/glassbox).
include(CMakePackageConfigHelpers)

set(GLASSBOX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/glassbox)

install(TARGETS ${glassbox_layers} EXPORT glassboxTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
# `cmake --install --strip` (and cpack) strip the executables only; the archives would keep the
# release build's debug info (line tables), so their debug sections go too.
install(CODE "
  if(CMAKE_INSTALL_DO_STRIP)
    file(GLOB glassbox_archives \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/libglassbox_*.a\")
    foreach(archive IN LISTS glassbox_archives)
      execute_process(COMMAND \"${CMAKE_STRIP}\" --strip-debug \"\${archive}\")
    endforeach()
  endif()" COMPONENT dev)
# Private headers stay in src/ (docs/architecture.md): only include/ is the API.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/glassbox DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev)
install(EXPORT glassboxTargets NAMESPACE glassbox:: DESTINATION ${GLASSBOX_CMAKE_DIR} COMPONENT dev)

configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/glassboxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/glassboxConfig.cmake
                              INSTALL_DESTINATION ${GLASSBOX_CMAKE_DIR})
# 0.x: only the same minor version is compatible (the soname says the same).
write_basic_package_version_file(${PROJECT_BINARY_DIR}/glassboxConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/glassboxConfig.cmake ${PROJECT_BINARY_DIR}/glassboxConfigVersion.cmake
        DESTINATION ${GLASSBOX_CMAKE_DIR} COMPONENT dev)

# pkg-config: Boost ships no .pc file, so its libraries are named directly.
# The prefix is found from the .pc file's own place, so that the file is right wherever the tree
# lands (cmake --install --prefix, or the .deb's /usr).
file(RELATIVE_PATH GLASSBOX_PC_TO_PREFIX /root/${CMAKE_INSTALL_LIBDIR}/pkgconfig /root)
configure_file(${CMAKE_CURRENT_LIST_DIR}/glassbox.pc.in ${PROJECT_BINARY_DIR}/glassbox.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/glassbox.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
        COMPONENT dev)

# A Debian package of everything above (`cpack -G DEB` in the build folder).
set(CPACK_PACKAGE_NAME glassbox)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "C++20 Model Context Protocol SDK with server execution telemetry (passback)")
set(CPACK_PACKAGE_CONTACT "glassbox maintainers <glassbox@localhost>")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
# What a program built against the package needs (headers and link libraries), beside what
# dpkg-shlibdeps finds for bin/glassbox.
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libboost-json${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR}-dev, libboost-url${Boost_VERSION_MAJOR}.${Boost_VERSION_MINOR}-dev, libssl-dev (>= 3), zlib1g-dev")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)  # the release build keeps debug info; the package does not
include(CPack)
