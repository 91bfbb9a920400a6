# The fuzz targets, one per tests/fuzz/<name>.fuzz.cpp: read by tests/fuzz/CMakeLists.txt (which
# builds them) and tests/CMakeLists.txt (which runs each from its seeds in tests/fuzz/seeds/<name>/).
set(attnscope_fuzz_targets safetensors tokenizers bpe_files config inputs cli_syntax session lesson_expression lesson)
# Targets whose inputs may take long without being wrong: a lesson file runs the engine for each of its
# steps (a 260-token text over 9 steps takes 7 s under ASan at -O1, 1.2 s in Release). Their limit
# per input is 30 s instead of 5.
set(attnscope_fuzz_slow_targets lesson)
