/* ravel classic corpus: two_stage_100_fixed: two_stage_fixed.c with NUM_THREADS 100 (see its header). */
#define NUM_THREADS 100
#include "two_stage_fixed.c"
