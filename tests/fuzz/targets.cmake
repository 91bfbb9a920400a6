# The fuzz targets, one per tests/fuzz/<name>.fuzz.cpp: read by tests/fuzz/CMakeLists.txt (which
# builds them) and tests/CMakeLists.txt (which runs each from its seeds in tests/fuzz/seeds/<name>/).
set(attnscope_fuzz_targets safetensors tokenizers bpe_files config inputs cli_syntax session lesson_expression lesson)
