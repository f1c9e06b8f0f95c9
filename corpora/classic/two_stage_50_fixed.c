/* ravel classic corpus: two_stage_50_fixed: two_stage_fixed.c with NUM_THREADS 50 (see its header). */
#define NUM_THREADS 50
#include "two_stage_fixed.c"
