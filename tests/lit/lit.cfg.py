# lit configuration of resc: runs res-opt, resc and FileCheck on the files of
# this folder.
import os

import lit.formats

config.name = "resc"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".res", ".test"]
config.excludes = ["Inputs", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py.in"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.resc_obj_root, "tests", "lit")

config.substitutions.append(("%examples",
                             os.path.join(config.resc_src_root, "examples")))
config.environment["PATH"] = os.pathsep.join(
    [config.resc_tools_dir, config.llvm_tools_dir,
     config.environment.get("PATH", os.environ.get("PATH", ""))])
