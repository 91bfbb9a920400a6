#pragma once
// The OpenMP runtime calls the engine makes, for the fuzz build only (tests/fuzz/CMakeLists.txt):
// compiled without -fopenmp, every parallel loop runs on this one thread.
#ifdef __cplusplus
extern "C" {
#endif
int omp_get_num_procs(void);
int omp_get_max_threads(void);
int omp_get_thread_num(void);
int omp_get_num_threads(void);
void omp_set_num_threads(int threads);
#ifdef __cplusplus
}
#endif
